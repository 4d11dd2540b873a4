// Package simulated is the in-memory VM provider: VMs that exist only as
// records in this process, with addresses from a reserved range and a
// bootstrap that "finishes" at once. It runs no guest and no workload. It
// is for scale tests of the controllers (thousands of VMs), the role
// Cluster API's in-memory provider plays, and never stands in for a real
// provider: its VMs report the host "simulated".
package simulated
