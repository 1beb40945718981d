package main

import "errors"

// ParseCmd is a placeholder until its issue lands.
type ParseCmd struct{}

// Run reports that the command is not built yet.
func (c *ParseCmd) Run(g *Globals) error { return errors.New("parse: not implemented yet") }
