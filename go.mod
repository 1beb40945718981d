module github.com/wulog/wulog

go 1.26.0

require (
	github.com/0xrawsec/golang-etw v1.6.2
	github.com/alecthomas/kong v1.17.0
	golang.org/x/sys v0.50.0
	golang.org/x/term v0.48.0
	www.velocidex.com/golang/regparser v0.0.0-20250203141505-31e704a67ef7
)

require (
	github.com/0xrawsec/golang-utils v1.3.1 // indirect
	github.com/davecgh/go-spew v1.1.1 // indirect
)
