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

// Flash keeps m in the session for a later request, which reads it once
// with Flashes or Messages (tipfy's set_flash, and set_message with
// flash=True): the message to show after a form is posted and the browser
// redirected. It returns the session's error, if it failed, like Set.
func (s *Session) Flash(m Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensure()
	if s.err != nil {
		return s.err
	}
	s.rec.Flashes = append(s.rec.Flashes, m)
	s.change()
	return nil
}

// Flashes returns the messages flashed by earlier requests and removes
// them from the session, so each is read exactly once (tipfy's get_flash).
func (s *Session) Flashes() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.popFlashes()
}

// popFlashes moves the stored flashes to this request's messages. s.mu
// must be held.
func (s *Session) popFlashes() []Message {
	s.ensure()
	f := s.rec.Flashes
	if len(f) == 0 {
		return nil
	}
	s.rec.Flashes = nil
	s.change()
	s.flashed = append(s.flashed, f...)
	return f
}

// AddMessage adds m to this request's messages only (tipfy's set_message
// with flash=False): an error to show on the page being rendered.
func (s *Session) AddMessage(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.added = append(s.added, m)
}

// Messages returns this request's messages: the flashes of earlier
// requests, which it removes from the session like Flashes, followed by
// those added with AddMessage (tipfy's MessagesMixin.messages).
func (s *Session) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.popFlashes()
	return append(append([]Message(nil), s.flashed...), s.added...)
}
