package main

import "errors"

// WatchCmd is a placeholder until its issue lands.
type WatchCmd struct{}

// Run reports that the command is not built yet.
func (c *WatchCmd) Run(g *Globals) error { return errors.New("watch: not implemented yet") }
