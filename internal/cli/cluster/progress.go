package cluster

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	runv1 "github.com/kubevisor/kubevisor/api/run/v1alpha3"
)

// summarised are the conditions Ready summarises, in the order it takes
// them: the first one that is not True is what a cluster waits for.
var summarised = []string{
	runv1.ControlPlaneReadyCondition,
	runv1.NodePoolsReadyCondition,
	runv1.NodesHealthyCondition,
	runv1.AddonsReadyCondition,
}

// state is what --wait needs to know about a cluster at one moment.
type state struct {
	// phase is status.phase, or "pending" before one is reported.
	phase string
	// ready: Ready is True for the cluster's latest generation and the
	// phase is running.
	ready bool
	// failed: the phase is failed or updateFailed.
	failed bool
	// blocking is the condition the cluster waits for; its Type is empty
	// when ready.
	blocking metav1.Condition
}

// stateOf reads the state of tkc.
func stateOf(tkc *runv1.TanzuKubernetesCluster) state {
	s := state{phase: string(tkc.Status.Phase)}
	if s.phase == "" {
		s.phase = "pending"
	}
	switch tkc.Status.Phase {
	case runv1.PhaseFailed, runv1.PhaseUpdateFailed:
		s.failed = true
	}
	conds := tkc.Status.Conditions
	ready := meta.FindStatusCondition(conds, runv1.ReadyCondition)
	for _, t := range summarised {
		if c := meta.FindStatusCondition(conds, t); c != nil && c.Status != metav1.ConditionTrue {
			s.blocking = *c
			return s
		}
	}
	switch {
	case ready == nil:
		s.blocking = metav1.Condition{Type: runv1.ReadyCondition, Status: metav1.ConditionUnknown,
			Reason: "NotReported", Message: "the cluster has no Ready condition yet"}
	case ready.Status != metav1.ConditionTrue:
		s.blocking = *ready
	case ready.ObservedGeneration < tkc.Generation:
		s.blocking = metav1.Condition{Type: runv1.ReadyCondition, Status: metav1.ConditionUnknown,
			Reason: "ChangeNotObservedYet",
			Message: fmt.Sprintf("the change (generation %d) has not been picked up yet (Ready is for generation %d)",
				tkc.Generation, ready.ObservedGeneration)}
	case tkc.Status.Phase != runv1.PhaseRunning:
		s.blocking = metav1.Condition{Type: runv1.ReadyCondition, Status: metav1.ConditionTrue,
			Reason: "PhaseNotRunning", Message: "Ready, waiting for phase running"}
	default:
		s.ready = true
	}
	return s
}

// describeCondition is "Type is Status (Reason): message" on one line.
func describeCondition(c metav1.Condition) string {
	if c.Type == "" {
		return "nothing"
	}
	s := fmt.Sprintf("%s is %s", c.Type, c.Status)
	if c.Reason != "" {
		s += " (" + c.Reason + ")"
	}
	if m := oneLine(c.Message); m != "" {
		s += ": " + m
	}
	return s
}

// oneLine collapses the white space of s, new lines included.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Terminal control sequences: back to the start of the line, then erase it.
const clearLine = "\r\x1b[K"

// progress renders the state of a cluster being waited for. On a terminal
// it keeps one live status line, redrawn in place, and prints each phase
// change as a permanent, timestamped line above it. Elsewhere it prints one
// line for each change of phase or of the blocking condition's reason.
// It only computes text; the caller writes it.
type progress struct {
	// terminal: draw a live line.
	terminal bool
	// width is the terminal's width; the live line is cut to fit it.
	width int
	// start is when the wait began.
	start time.Time

	started   bool
	phase     string
	key       string
	lineShown bool
}

// newProgress returns a progress for a wait that starts at start.
func newProgress(terminal bool, width int, start time.Time) *progress {
	if width <= 0 {
		width = 80
	}
	return &progress{terminal: terminal, width: width, start: start}
}

// update returns what to write for the state s seen at now.
func (p *progress) update(s state, now time.Time) string {
	var b strings.Builder
	elapsed := now.Sub(p.start).Round(time.Second)
	phaseChanged := !p.started || s.phase != p.phase
	key := s.phase + "\x00" + s.blocking.Type + "\x00" + string(s.blocking.Status) + "\x00" + s.blocking.Reason
	changed := !p.started || key != p.key
	p.started, p.phase, p.key = true, s.phase, key

	waiting := "ready"
	if !s.ready {
		waiting = "waiting for " + describeCondition(s.blocking)
	}
	if !p.terminal {
		if changed {
			fmt.Fprintf(&b, "%s %6s  %s  %s\n", now.Format("15:04:05"), elapsed, s.phase, waiting)
		}
		return b.String()
	}
	if p.lineShown {
		b.WriteString(clearLine)
	}
	if phaseChanged {
		fmt.Fprintf(&b, "%s phase %s\n", now.Format("15:04:05"), s.phase)
	}
	b.WriteString(truncate(fmt.Sprintf("%6s  %s  %s", elapsed, s.phase, waiting), p.width-1))
	p.lineShown = true
	return b.String()
}

// finish returns what to write before the wait's final message: on a
// terminal, the live line is erased.
func (p *progress) finish() string {
	if p.lineShown {
		p.lineShown = false
		return clearLine
	}
	return ""
}

// truncate cuts s to at most n characters, marking the cut with "…".
func truncate(s string, n int) string {
	if n < 1 {
		n = 1
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
