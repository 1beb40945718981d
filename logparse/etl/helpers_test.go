package etl_test

import (
	"fmt"
	"sort"
)

func toString(v any) string  { return fmt.Sprint(v) }
func sortStrings(s []string) { sort.Strings(s) }
