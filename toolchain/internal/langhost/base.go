package langhost

import (
	"context"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
)

// Base answers what is the same for every host; each host embeds it and adds its language. RPCs neither
// answers stay Unimplemented, which the engine reads as "this host does not do that".
type Base struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	Flags
}

// GetPluginInfo reports the host's version (`pulumi about`, `pulumi plugin ls`).
func (Base) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: Version()}, nil
}

// RuntimeOptionsPrompts: `pulumi new` asks nothing more; each runtime's defaults hold.
func (Base) RuntimeOptionsPrompts(context.Context, *pulumirpc.RuntimeOptionsRequest) (
	*pulumirpc.RuntimeOptionsResponse, error,
) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

// Template: a new project from a template needs no language-specific rewriting.
func (Base) Template(context.Context, *pulumirpc.TemplateRequest) (*pulumirpc.TemplateResponse, error) {
	return &pulumirpc.TemplateResponse{}, nil
}

// Cancel stops what the host runs: programs, plugins, builds, installs.
func (Base) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	CancelAll()
	return &emptypb.Empty{}, nil
}

// PluginsOf answers the older GetRequiredPlugins from a GetRequiredPackages answer: the packages that are
// plain plugins (a parameterized package is a plugin configured to serve it, which that RPC cannot say).
func PluginsOf(packages []*pulumirpc.PackageDependency) *pulumirpc.GetRequiredPluginsResponse {
	plugins := []*pulumirpc.PluginDependency{}
	for _, p := range packages {
		if p.GetParameterization() == nil && p.GetExtension() == nil {
			plugins = append(plugins, &pulumirpc.PluginDependency{
				Name: p.GetName(), Kind: p.GetKind(), Version: p.GetVersion(), Server: p.GetServer(),
			})
		}
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}
}
