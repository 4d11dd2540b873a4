//go:build race

package vsphere

const raceEnabled = true
