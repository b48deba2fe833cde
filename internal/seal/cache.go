package seal

import (
	"container/list"
	"sync"

	"github.com/tink-crypto/tink-go/v2/tink"
)

// keyCache keeps the most recently used unwrapped data keys, at most max of
// them, so that opening a survivor's fields again costs no unwrapping (with a
// KMS, a network round trip). An entry is valid only for the key ID it was
// made from: a key replaced in the database is never served from here.
type keyCache struct {
	mu      sync.Mutex
	max     int
	order   *list.List // front: most recently used
	entries map[string]*list.Element
}

type cachedKey struct {
	subject, keyID string
	aead           tink.AEAD
}

func newKeyCache(max int) *keyCache {
	return &keyCache{max: max, order: list.New(), entries: make(map[string]*list.Element)}
}

func (c *keyCache) get(subject, keyID string) (tink.AEAD, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[subject]
	if !ok {
		return nil, false
	}
	k := e.Value.(*cachedKey)
	if k.keyID != keyID {
		c.order.Remove(e)
		delete(c.entries, subject)
		return nil, false
	}
	c.order.MoveToFront(e)
	return k.aead, true
}

func (c *keyCache) put(subject, keyID string, a tink.AEAD) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[subject]; ok {
		e.Value = &cachedKey{subject: subject, keyID: keyID, aead: a}
		c.order.MoveToFront(e)
		return
	}
	c.entries[subject] = c.order.PushFront(&cachedKey{subject: subject, keyID: keyID, aead: a})
	for c.order.Len() > c.max {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.entries, oldest.Value.(*cachedKey).subject)
	}
}

func (c *keyCache) remove(subject string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[subject]; ok {
		c.order.Remove(e)
		delete(c.entries, subject)
	}
}

func (c *keyCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
