// Package langhost holds what this project's Pulumi language hosts share: how the engine starts a host and
// reaches it, how a host runs the commands a program or plugin needs, and how it turns their output and exit
// into the engine's answers. Each host (cmd/pulumi-language-*) adds only what its language does differently.
package langhost

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

// engineCheckInterval is how often a host asks whether the engine that started it is still there.
const engineCheckInterval = 2 * time.Second

// Flags are what the engine puts on a language host's command line: logging and tracing flags it passes to
// every plugin, then the engine's own gRPC address as the last argument.
type Flags struct {
	EngineAddress string
	Tracing       string
}

// Version is what the host reports to the engine (`pulumi about`, `pulumi plugin ls`): the Pulumi SDK version it
// was built against, stamped in by scripts/install-pulumi as Pulumi's release builds do.
func Version() string {
	if version.Version == "" {
		return "0.0.0-dev"
	}
	return version.Version
}

// Main parses the host's command line, serves newHost on a free loopback port, prints the port on stdout (how the
// engine learns where to dial) and serves until the engine goes away or the host is interrupted.
func Main(language string, newHost func(Flags) pulumirpc.LanguageRuntimeServer) {
	flags := flag.NewFlagSet("pulumi-language-"+language, flag.ContinueOnError)
	tracing := flags.String("tracing", "", "a Zipkin-compatible endpoint to send traces to")
	showVersion := flags.Bool("version", false, "print the host's version and exit")
	// Flags the engine passes every plugin; accepted so that a verbose run does not stop the host.
	flags.Bool("logtostderr", false, "log to stderr")
	flags.Int("v", 0, "log verbosity")
	flags.Bool("logflow", false, "pass logging flags on to child processes")
	flags.String("root", "", "the project's root directory (older engines)")
	known := map[string]bool{}
	flags.VisitAll(func(f *flag.Flag) { known[f.Name] = true })
	args, options := splitRuntimeOptions(os.Args[1:], known)
	commandLineOptions = options
	if err := flags.Parse(args); err != nil {
		fail(language, err)
	}
	if *showVersion {
		fmt.Println(Version())
		return
	}
	var engineAddress string
	if args := flags.Args(); len(args) > 0 {
		engineAddress = args[len(args)-1]
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cancel := make(chan bool)
	go func() {
		<-ctx.Done()
		stopEverything()
		close(cancel)
	}()
	if engineAddress != "" {
		// Stop serving (and stop what the host runs) once the engine is gone, so a killed CLI leaves nothing
		// behind for long. Pulumi's own hosts ask every 5 minutes; a loopback health check is cheap.
		if err := rpcutil.Healthcheck(ctx, engineAddress, engineCheckInterval, stop); err != nil {
			fail(language, fmt.Errorf("could not reach the engine at %s: %w", engineAddress, err))
		}
	}

	host := newHost(Flags{EngineAddress: engineAddress, Tracing: *tracing})
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
		Options: rpcutil.TracingServerInterceptorOptions(nil),
	})
	if err != nil {
		fail(language, fmt.Errorf("could not start the gRPC server: %w", err))
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fail(language, err)
	}
}

func fail(language string, err error) {
	fmt.Fprintf(os.Stderr, "pulumi-language-%s: %v\n", language, err)
	os.Exit(1)
}

// splitRuntimeOptions takes the runtime options the engine puts on the command line of a host it starts for a
// plugin (`-toolchain=pip`, `-virtualenv=venv`: the PulumiPlugin.yaml runtime options, as Pulumi's own hosts
// take them) out of the arguments, leaving the flags this host defines.
func splitRuntimeOptions(args []string, known map[string]bool) ([]string, map[string]any) {
	rest := []string{}
	options := map[string]any{}
	for _, arg := range args {
		name, value, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if strings.HasPrefix(arg, "-") && hasValue && name != "" && !known[name] {
			options[name] = value
			continue
		}
		rest = append(rest, arg)
	}
	return rest, options
}
