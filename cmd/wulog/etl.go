package main

import "errors"

// EtlCmd is a placeholder until its issue lands.
type EtlCmd struct{}

// Run reports that the command is not built yet.
func (c *EtlCmd) Run(g *Globals) error { return errors.New("etl: not implemented yet") }
