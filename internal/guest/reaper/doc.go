// Package reaper starts processes for the guest agent and collects their
// exit statuses. As PID 1 the agent must reap every orphan that the kernel
// reparents to it; os/exec's Wait would race with that, so in reaping mode
// one loop calls wait4(-1) for every child and hands each status to
// whoever started that process.
package reaper
