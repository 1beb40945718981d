package etl

// minHeap is the binary min-heap of the k-way merges: processors within a
// file (Reader) and files (Multi). The element at the top is the one whose
// next event comes first.
type minHeap[T any] struct {
	items []T
	less  func(a, b T) bool
}

// len returns the number of elements.
func (h *minHeap[T]) len() int { return len(h.items) }

// top returns the first element; the heap must not be empty.
func (h *minHeap[T]) top() T { return h.items[0] }

// push adds x.
func (h *minHeap[T]) push(x T) {
	h.items = append(h.items, x)
	i := len(h.items) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(h.items[i], h.items[p]) {
			return
		}
		h.items[i], h.items[p] = h.items[p], h.items[i]
		i = p
	}
}

// fixTop restores the order after the top element moved on to its next
// event (more true), or removes it when it has no more (more false).
func (h *minHeap[T]) fixTop(more bool) {
	if !more {
		n := len(h.items) - 1
		h.items[0] = h.items[n]
		h.items = h.items[:n]
	}
	h.down(0)
}

func (h *minHeap[T]) down(i int) {
	it := h.items
	for {
		l := 2*i + 1
		if l >= len(it) {
			return
		}
		c := l
		if l+1 < len(it) && h.less(it[l+1], it[l]) {
			c = l + 1
		}
		if !h.less(it[c], it[i]) {
			return
		}
		it[i], it[c] = it[c], it[i]
		i = c
	}
}
