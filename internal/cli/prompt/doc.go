// Package prompt reads passwords for the command-line tools: from a
// terminal with no echo, or as the first line of a pipe, so that scripts
// and tests can pass them on standard input.
package prompt
