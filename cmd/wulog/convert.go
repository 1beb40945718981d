package main

import "errors"

// ConvertCmd is a placeholder until its issue lands.
type ConvertCmd struct{}

// Run reports that the command is not built yet.
func (c *ConvertCmd) Run(g *Globals) error { return errors.New("convert: not implemented yet") }
