package main

import "github.com/ticaga/ticaga-sync/internal/syncbuf"

// syncBuffer is a buffer safe for a writer and a reader at once.
type syncBuffer = syncbuf.Buffer
