//go:build windows && !noetw

package etw

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	goetw "github.com/0xrawsec/golang-etw/etw"

	"github.com/wulog/wulog/logparse/etl/wu"
)

// providerGUID is wu.ProviderID in the form golang-etw parses,
// "{0B7A6F19-47C4-454E-8C5C-E868D637E4D8}".
var providerGUID = strings.ToUpper(wu.ProviderID.String())

// Open starts the real-time session SessionName on the Windows Update
// provider (all levels, all keywords) and returns a Watcher over its
// events. A session of that name left by a killed process is stopped
// first. It needs an elevated prompt (Administrators or Performance Log
// Users). Cancel ctx to stop the Watcher; then Close it.
func Open(ctx context.Context) (*Watcher, error) {
	s := goetw.NewRealTimeSession(SessionName)
	// EnableProvider starts the session; golang-etw's Start stops a
	// session of the same name that already exists and starts it anew.
	prov := goetw.Provider{GUID: providerGUID, Name: wu.ProviderName, EnableLevel: 0xff, MatchAnyKeyword: ^uint64(0)}
	if err := s.EnableProvider(prov); err != nil {
		s.Stop()
		return nil, fmt.Errorf("starting ETW session %q on WUTraceLogging (run from an elevated prompt): %w", SessionName, err)
	}
	sending, stopSending := context.WithCancel(context.Background())
	events := make(chan eventData, 1024)
	c := goetw.NewRealTimeConsumer(context.Background())
	c.FromSessions(s)
	c.EventCallback = func(e *goetw.Event) error {
		d := eventData{
			ProviderGUID: e.System.Provider.Guid,
			ProviderName: e.System.Provider.Name,
			Name:         e.System.Task.Name,
			Time:         e.System.TimeCreated.SystemTime,
			PID:          e.System.Execution.ProcessID,
			TID:          e.System.Execution.ThreadID,
			Level:        e.System.Level.Value,
			Keyword:      e.System.Keywords.Value,
			Data:         e.EventData,
		}
		if len(d.Data) == 0 {
			d.Data = e.UserData
		}
		select {
		case events <- d:
		case <-sending.Done():
		}
		return nil
	}
	if err := c.Start(); err != nil {
		stopSending()
		c.Stop()
		s.Stop()
		return nil, fmt.Errorf("consuming ETW session %q: %w", SessionName, err)
	}
	var once sync.Once
	var stopErr error
	stop := func() error {
		once.Do(func() {
			stopSending()
			err1 := c.Stop() // waits for ProcessTrace: no callback runs after it
			err2 := s.Stop()
			close(events)
			stopErr = errors.Join(err1, err2)
		})
		return stopErr
	}
	// When the caller cancels, stop the session at once so that the name
	// is freed even if Close comes late.
	go func() {
		<-ctx.Done()
		stop()
	}()
	return newWatcher(ctx, events, c.Err, stop), nil
}
