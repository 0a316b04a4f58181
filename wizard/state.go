package wizard

import "errors"

// State holds everything typed or chosen in the wizard. It outlives the screens, so
// going back and forth never loses a value.
type State struct {
	// Cloud is the chosen environment: "global", "usgov", "usgovdod", "china" or "practice".
	Cloud string
	// TenantID is the directory (tenant) ID or a verified domain.
	TenantID string
	// ClientID is the app registration's Application (client) ID.
	ClientID string
	// ClientSecret is kept in memory only; it goes to the OS keyring, never to a file.
	ClientSecret string
}

// Gate reports whether a step's values are complete; it is the Flow's gate.
func (s *State) Gate(id StepID) error {
	switch id {
	case StepEnvironment:
		if s.Cloud == "" {
			return errors.New("Environment: choose where the mailboxes live")
		}
	case StepAppRegistration:
		for _, err := range []error{ValidateTenant(s.TenantID), ValidateClientID(s.ClientID), ValidateClientSecret(s.ClientSecret)} {
			if err != nil {
				return err // the first problem, top to bottom, as the form reads
			}
		}
	}
	return nil
}
