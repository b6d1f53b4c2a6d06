package sync

// Stage names a step of a run, for progress reports and metrics.
type Stage string

// The stages of a run, in order.
const (
	StagePreflight Stage = "preflight"
	StageDirectory Stage = "directory"
	StageContacts  Stage = "contacts"
	StageExecute   Stage = "execute"
)

// Observer is told what a run is doing: progress bars and metrics implement
// it. Its methods are called from the run's goroutines and must not block.
type Observer interface {
	// Progress reports that done of total items of stage are through;
	// total is 0 while unknown.
	Progress(stage Stage, done, total int)
	// LockHeld reports taking (true) and releasing (false) the run lock.
	LockHeld(source string, held bool)
	// RunFinished reports a finished run, failed or not.
	RunFinished(r *Report)
}

// NopObserver ignores everything.
type NopObserver struct{}

// Progress implements Observer.
func (NopObserver) Progress(Stage, int, int) {}

// LockHeld implements Observer.
func (NopObserver) LockHeld(string, bool) {}

// RunFinished implements Observer.
func (NopObserver) RunFinished(*Report) {}
