// Package datastore starts the Supervisor's storage backend and hands the
// API server an etcd endpoint for it.
//
// By default that is kine over an embedded SQLite database in the data
// directory: one file, no separate process, and durable across a SIGKILL
// (write-ahead log). An administrator who outgrows one machine points
// --datastore-endpoint at a real etcd cluster (http:// or https://, passed
// straight through) or at PostgreSQL (postgres://, through kine), which is
// also how several Supervisor replicas share one state.
package datastore
