//go:build linux

package inline

import (
	"encoding/gob"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fernb/fernb/plots"
	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/protocol"
)

// fakeKernel plays GoNB's side of the named pipes: it answers gonbui's sync
// requests and passes every other message it receives on the channel.
func fakeKernel(t *testing.T) <-chan *protocol.DisplayData {
	t.Helper()
	dir := t.TempDir()
	toKernel, fromKernel := filepath.Join(dir, "pipe"), filepath.Join(dir, "pipe-back")
	for _, p := range []string{toKernel, fromKernel} {
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv(protocol.GONB_PIPE_ENV, toKernel)
	t.Setenv(protocol.GONB_PIPE_BACK_ENV, fromKernel)
	gonbui.IsNotebook = true
	t.Cleanup(func() { gonbui.IsNotebook = false })
	msgs := make(chan *protocol.DisplayData, 16)
	go func() {
		r, err := os.OpenFile(toKernel, os.O_RDONLY, 0)
		if err != nil {
			return
		}
		defer r.Close()
		w, err := os.OpenFile(fromKernel, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer w.Close()
		dec, enc := gob.NewDecoder(r), gob.NewEncoder(w)
		for {
			d := &protocol.DisplayData{}
			if err := dec.Decode(d); err != nil {
				close(msgs)
				return
			}
			if v, ok := d.Data[protocol.MIMECommValue].(protocol.CommValue); ok && v.Address == protocol.GonbuiSyncAddress {
				enc.Encode(&protocol.CommValue{Address: protocol.GonbuiSyncAckAddress, Value: v.Value})
				continue
			}
			msgs <- d
		}
	}()
	return msgs
}

// TestInNotebook runs Markdown and Show against a fake GoNB kernel: each
// sends one message of the right MIME type with the content, and returns
// once the kernel acknowledged it (gonbui.Sync).
func TestInNotebook(t *testing.T) {
	msgs := fakeKernel(t)
	f, err := plots.ConfusionMatrix([][]int{{1, 2}, {3, 4}}, []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		call     func() error
		mime     protocol.MIMEType
		contains string
	}{
		{"Markdown", func() error { Markdown("| a | b |\n|---|---|\n| 1 | 2 |"); return nil }, protocol.MIMETextMarkdown, "| a | b |\n|---|---|\n| 1 | 2 |"},
		{"Show", func() error { return Show(nil, f) }, protocol.MIMETextHTML, "data:image/png;base64,"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			errc := make(chan error, 1)
			go func() { errc <- c.call() }()
			select {
			case err := <-errc:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no return in 10 s (sync not acknowledged?)")
			}
			select {
			case d := <-msgs:
				s, _ := d.Data[c.mime].(string)
				if !strings.Contains(s, c.contains) {
					t.Errorf("message %v: want %s containing %q", d.Data, c.mime, c.contains)
				}
			default:
				t.Fatal("nothing reached the kernel before the call returned")
			}
			select {
			case d := <-msgs:
				t.Errorf("a second message: %v", d.Data)
			default:
			}
		})
	}
}
