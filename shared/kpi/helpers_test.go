package kpi

import "bytes"

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// ClassOf is Config.class for the external tests: an opportunity type's class.
var ClassOf = (*Config).class
