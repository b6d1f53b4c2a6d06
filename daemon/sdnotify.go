package daemon

import (
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// systemd is the daemon's side of systemd's notify protocol (Type=notify):
// datagrams to $NOTIFY_SOCKET. Without NOTIFY_SOCKET every call is a no-op.
type systemd struct {
	socket   string
	watchdog time.Duration // half of WATCHDOG_USEC; 0 when no watchdog
	ready    sync.Once
}

func newSystemd(getenv func(string) (string, bool)) *systemd {
	s := &systemd{}
	s.socket, _ = getenv("NOTIFY_SOCKET")
	if usec, ok := getenv("WATCHDOG_USEC"); ok {
		pid, pidSet := getenv("WATCHDOG_PID")
		if n, err := strconv.ParseInt(usec, 10, 64); err == nil && n > 0 && (!pidSet || pid == strconv.Itoa(os.Getpid())) {
			s.watchdog = time.Duration(n) * time.Microsecond / 2
		}
	}
	return s
}

// notify sends one state line such as "READY=1"; errors are ignored, as
// systemd's own sd_notify does: the daemon works without a supervisor.
func (s *systemd) notify(state string) {
	if s.socket == "" {
		return
	}
	name := s.socket
	if name[0] == '@' { // abstract namespace
		name = "\x00" + name[1:]
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		return
	}
	defer conn.Close()
	_, _ = conn.Write([]byte(state))
}

// markReady sends READY=1 once, with a status line for systemctl status.
func (s *systemd) markReady(status string) {
	s.ready.Do(func() { s.notify("READY=1\nSTATUS=" + status) })
}

// keepAlive pings the watchdog until stop is closed.
func (s *systemd) keepAlive(stop <-chan struct{}) {
	if s.watchdog <= 0 || s.socket == "" {
		return
	}
	t := time.NewTicker(s.watchdog)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			s.notify("WATCHDOG=1")
		}
	}
}

// readyObserver tells systemd the daemon is ready once the first preflight
// has passed.
type readyObserver struct {
	ticagasync.NopObserver
	sd *systemd
}

func (o readyObserver) Progress(stage ticagasync.Stage, done, total int) {
	if stage == ticagasync.StagePreflight && done == total {
		o.sd.markReady("preflight passed; syncing")
	}
}
