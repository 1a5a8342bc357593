// The pod sandbox ("pause") image of the cluster e2e: nothing can be pulled here, so the
// sandbox is this program, built static and put alone in an image FROM scratch. It holds the
// pod's namespaces open and ends on SIGTERM or SIGINT, as the kubelet's sandbox should.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
}
