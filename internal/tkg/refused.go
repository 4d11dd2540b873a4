package tkg

// RefusedError is a request the Supervisor refuses: the user must change
// Field as Message says.
type RefusedError struct {
	// Field is the path of the field to change.
	Field string
	// Message says what is wrong and how to fix it.
	Message string
}

// Error returns "Field: Message".
func (e *RefusedError) Error() string { return e.Field + ": " + e.Message }
