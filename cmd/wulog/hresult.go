package main

import "errors"

// HresultCmd is a placeholder until its issue lands.
type HresultCmd struct{}

// Run reports that the command is not built yet.
func (c *HresultCmd) Run(g *Globals) error { return errors.New("hresult: not implemented yet") }
