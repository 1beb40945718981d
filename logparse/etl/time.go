package etl

import (
	"time"

	"github.com/wulog/wulog/logparse/etl/tracelogging"
)

// timeOf converts a FILETIME to UTC time.
func timeOf(ft int64) time.Time { return tracelogging.FileTime(ft) }
