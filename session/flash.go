package session

// Message is a message for the user (tipfy's messages): a level such as
// "success", "error", "info" or "alert", a body, an optional title, and a
// life in seconds after which a page may hide it (0: it stays).
type Message struct {
	Level string `json:"level,omitempty"`
	Body  string `json:"body"`
	Title string `json:"title,omitempty"`
	Life  int    `json:"life,omitempty"`
}
