// Package lb is the Supervisor's layer-4 load balancer: the role HAProxy or
// NSX play for a vSphere Supervisor. For each load-balancer address and
// port it runs a listener in this process (TCP, and UDP) and forwards every
// connection to one of the port's backends, round-robin over the healthy
// ones.
//
// Desired state comes in through Balancer.Set, one named service at a
// time; listeners are reconciled against the whole desired state, so
// changing one service never disturbs the listeners of another, and
// setting the same state again changes nothing. A service's address is put
// on a host interface (package hostaddr) so that the host and the VMs on
// the VM bridge reach it; listeners bind with IP_FREEBIND, so they work
// before the address is in place.
//
// Backends are the ready endpoints the caller passes in. On top of that,
// every TCP backend gets an active health check (a TCP connect every
// second): a backend that fails two checks in a row, or whose connections
// fail to open, leaves the rotation until it passes two checks again. New
// connections only go to healthy backends; when a backend is removed from
// the desired state its existing connections are closed. Data is copied
// with io.Copy between *net.TCPConn values, which the runtime turns into
// splice(2).
//
// Connections live in this process, so a Supervisor restart drops them
// (clients reconnect); the VMs behind them keep running. See
// docs/design/load-balancer.md.
package lb
