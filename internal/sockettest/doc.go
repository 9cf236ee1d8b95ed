// Package sockettest reads what the kernel knows of a test's TCP sockets
// (the pending timer of a server-side socket, the bytes a socket
// holds unsent, on Linux) and makes the loopback pairs they need. Tests
// assert on what the kernel says rather than on timing.
package sockettest
