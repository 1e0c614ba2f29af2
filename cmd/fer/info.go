package main

import (
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/fernb/fernb/fernb/data"
	"github.com/fernb/fernb/xla"
)

func init() {
	register("info", "print versions, the backend chosen and why, plugin, devices and data location", runInfo)
}

// keyModules are the dependencies whose versions "fer info" prints.
var keyModules = []string{
	"github.com/gomlx/gomlx", "github.com/gomlx/compute", "github.com/gomlx/go-xla",
	"github.com/janpfeifer/gonb", "gonum.org/v1/plot", "gonum.org/v1/gonum",
}

func runInfo(args []string) error {
	fs := flag.NewFlagSet("info", flag.ContinueOnError)
	backend := fs.String("backend", "auto", "backend to choose: auto, go, xla, xla:cpu, xla:cuda or xla:/path/plugin.so (default: $GOMLX_BACKEND, else auto)")
	dataPath := fs.String("data", "", "FER2013 path (default: $FER_DATA, else synthetic faces)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fmt.Printf("fernb       %s\n", moduleVersion())
	fmt.Printf("Go          %s %s/%s, %d CPUs\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range keyModules {
			for _, d := range bi.Deps {
				if d.Path == m {
					fmt.Printf("  %-28s %s\n", d.Path, d.Version)
				}
			}
		}
	}
	b, c, err := xla.New(*backend)
	if err != nil {
		fmt.Printf("backend     %s: ERROR\n", c.Requested)
		if c.PluginSHA256 != "" {
			fmt.Printf("  plugin    %s\n  sha256    %s\n", c.PluginPath, c.PluginSHA256)
		}
		return err
	}
	defer b.Finalize()
	fmt.Printf("backend     %s (requested %q from %s)\n", c.Kind, c.Requested, c.From)
	fmt.Printf("  why       %s\n", c.Reason)
	if c.PluginPath != "" {
		fmt.Printf("  plugin    %s\n", c.PluginPath)
		known := "UNKNOWN: not a plugin fernb pinned (" + xla.PluginStrictEnv + "=1 refuses it)"
		if c.PluginKnown != "" {
			known = "known: " + c.PluginKnown
		}
		fmt.Printf("  sha256    %s (%s)\n", c.PluginSHA256, known)
		fmt.Printf("  PJRT      %s\n", c.PJRTVersion)
	}
	fmt.Printf("  devices   %d\n", c.Devices)
	fmt.Printf("  backend   %s\n", strings.TrimSpace(c.Description))
	loc, err := data.Locate(*dataPath)
	fmt.Printf("data        %s\n", loc)
	return err
}

func moduleVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown version)"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
		if s.Key == "vcs.modified" && s.Value == "true" {
			v += " (modified)"
		}
	}
	return bi.Main.Path + " " + v
}
