package main

import "errors"

// CollectCmd is a placeholder until its issue lands.
type CollectCmd struct{}

// Run reports that the command is not built yet.
func (c *CollectCmd) Run(g *Globals) error { return errors.New("collect: not implemented yet") }
