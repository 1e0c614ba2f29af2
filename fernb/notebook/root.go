package notebook

import "github.com/fernb/fernb/fernb/repo"

// RootEnv names the environment variable that points at the fernb
// repository (repo.RootEnv).
const RootEnv = repo.RootEnv

// ModulePath is fernb's Go module path (repo.ModulePath).
const ModulePath = repo.ModulePath

// RepoRoot returns the fernb repository's folder (repo.Root).
func RepoRoot() (string, error) { return repo.Root() }
