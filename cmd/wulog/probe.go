package main

import "errors"

// ProbeCmd is a placeholder until its issue lands.
type ProbeCmd struct{}

// Run reports that the command is not built yet.
func (c *ProbeCmd) Run(g *Globals) error { return errors.New("probe: not implemented yet") }
