// Command udpecho is a UDP echo server for the network integration tests:
// busybox has no UDP server, so the tests copy this static binary into the
// container's rootfs. It listens on the port given as its argument, prints
// "ready" once it does, and sends every datagram back to its sender.
package main

import (
	"fmt"
	"net"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: udpecho PORT")
		os.Exit(2)
	}
	c, err := net.ListenPacket("udp", ":"+os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "udpecho:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	buf := make([]byte, 65536)
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			fmt.Fprintln(os.Stderr, "udpecho:", err)
			os.Exit(1)
		}
		_, _ = c.WriteTo(buf[:n], from)
	}
}
