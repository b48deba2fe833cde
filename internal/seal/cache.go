package seal

import (
	"container/list"
	"sync"
)

// keyCache keeps the most recently used unwrapped data keys, at most max of
// them, so that opening a survivor's fields again costs no unwrapping (with a
// KMS, a network round trip). An entry is valid only for the key ID it was
// made from: a key replaced in the database is never served from here.
type keyCache[V any] struct {
	mu      sync.Mutex
	max     int
	order   *list.List // front: most recently used
	entries map[string]*list.Element
}

type cachedKey[V any] struct {
	subject, keyID string
	key            V
}

func newKeyCache[V any](max int) *keyCache[V] {
	return &keyCache[V]{max: max, order: list.New(), entries: make(map[string]*list.Element)}
}

func (c *keyCache[V]) get(subject, keyID string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var zero V
	e, ok := c.entries[subject]
	if !ok {
		return zero, false
	}
	k := e.Value.(*cachedKey[V])
	if k.keyID != keyID {
		c.order.Remove(e)
		delete(c.entries, subject)
		return zero, false
	}
	c.order.MoveToFront(e)
	return k.key, true
}

func (c *keyCache[V]) put(subject, keyID string, key V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[subject]; ok {
		e.Value = &cachedKey[V]{subject: subject, keyID: keyID, key: key}
		c.order.MoveToFront(e)
		return
	}
	c.entries[subject] = c.order.PushFront(&cachedKey[V]{subject: subject, keyID: keyID, key: key})
	for c.order.Len() > c.max {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.entries, oldest.Value.(*cachedKey[V]).subject)
	}
}

func (c *keyCache[V]) remove(subject string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[subject]; ok {
		c.order.Remove(e)
		delete(c.entries, subject)
	}
}

func (c *keyCache[V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
