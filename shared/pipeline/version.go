package pipeline

import "runtime/debug"

// CodeVersion is the build's VCS revision when the binary carries one, else
// "dev". It is recorded on statements and manifests.
func CodeVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && s.Value != "" {
				return s.Value
			}
		}
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
	}
	return "dev"
}
