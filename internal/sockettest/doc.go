// Package sockettest reads what the kernel knows of a test's TCP sockets
// (Linux): the pending timer of a server-side socket, the bytes a socket
// holds unsent. Tests assert on these rather than on timing.
package sockettest
