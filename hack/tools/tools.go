//go:build tools

// Package tools pins the versions of the code generators and linters that
// the Makefile runs. It is its own module so that their dependencies never
// mix with the Supervisor's.
package tools

import (
	_ "github.com/golangci/golangci-lint/v2/cmd/golangci-lint"
	_ "sigs.k8s.io/controller-tools/cmd/controller-gen"
)
