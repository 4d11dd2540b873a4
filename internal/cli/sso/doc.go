// Package sso is `kubevisor sso`: the administrator's commands for the
// Supervisor's built-in single sign-on, its users (User objects, each with
// a bcrypt password hash kept by internal/sso/store) and groups (Group
// objects). Passwords are read from standard input when it is not a
// terminal, or prompted for twice without echo.
package sso
