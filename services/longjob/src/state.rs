//! A long job's states and the events that move it (ZStack's `LongJobState` over
//! `LongJobStateEvent`): every change of state goes through [`State::next`], so a transition the
//! table does not allow never happens.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Waiting,
    Suspended,
    Running,
    Canceling,
    Succeeded,
    Failed,
    Canceled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Start,
    Succeed,
    Fail,
    Resume,
    Suspend,
    Canceling,
    Canceled,
}

impl State {
    pub const ALL: [State; 7] = [
        State::Waiting,
        State::Suspended,
        State::Running,
        State::Canceling,
        State::Succeeded,
        State::Failed,
        State::Canceled,
    ];

    pub fn name(self) -> &'static str {
        match self {
            State::Waiting => "Waiting",
            State::Suspended => "Suspended",
            State::Running => "Running",
            State::Canceling => "Canceling",
            State::Succeeded => "Succeeded",
            State::Failed => "Failed",
            State::Canceled => "Canceled",
        }
    }

    pub fn parse(name: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Succeeded, Failed and Canceled: nothing moves a job out of them (only a rerun starts it
    /// over).
    pub fn is_final(self) -> bool {
        matches!(self, State::Succeeded | State::Failed | State::Canceled)
    }

    /// The state `event` leads to, or `None` when it may not happen in this state.
    pub fn next(self, event: Event) -> Option<State> {
        use Event as E;
        use State as S;
        match (self, event) {
            (S::Waiting, E::Start) => Some(S::Running),
            (S::Waiting, E::Fail) => Some(S::Failed),
            (S::Waiting, E::Canceling | E::Canceled) => Some(S::Canceled),
            (S::Suspended, E::Resume) => Some(S::Running),
            (S::Suspended, E::Fail) => Some(S::Failed),
            (S::Suspended, E::Suspend) => Some(S::Suspended),
            (S::Suspended, E::Canceling) => Some(S::Canceling),
            (S::Suspended, E::Canceled) => Some(S::Canceled),
            (S::Running, E::Succeed) => Some(S::Succeeded),
            (S::Running, E::Fail) => Some(S::Failed),
            (S::Running, E::Resume) => Some(S::Running),
            (S::Running, E::Suspend) => Some(S::Suspended),
            (S::Running, E::Canceling) => Some(S::Canceling),
            (S::Running, E::Canceled) => Some(S::Canceled),
            (S::Canceling, E::Canceling | E::Suspend) => Some(S::Canceling),
            (S::Canceling, E::Canceled | E::Fail) => Some(S::Canceled),
            (S::Canceling, E::Succeed) => Some(S::Succeeded),
            _ => None,
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Event::Start => "start",
            Event::Succeed => "succeed",
            Event::Fail => "fail",
            Event::Resume => "resume",
            Event::Suspend => "suspend",
            Event::Canceling => "canceling",
            Event::Canceled => "canceled",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_states_do_not_move_and_names_read_back() {
        let events = [
            Event::Start,
            Event::Succeed,
            Event::Fail,
            Event::Resume,
            Event::Suspend,
            Event::Canceling,
            Event::Canceled,
        ];
        for state in State::ALL {
            assert_eq!(State::parse(state.name()), Some(state));
            if state.is_final() {
                assert!(events.iter().all(|e| state.next(*e).is_none()), "{state}");
            }
        }
        assert_eq!(State::Waiting.next(Event::Succeed), None);
        assert_eq!(State::Running.next(Event::Start), None);
        assert_eq!(State::Canceling.next(Event::Fail), Some(State::Canceled));
        assert_eq!(State::Canceling.next(Event::Resume), None);
        assert_eq!(State::Suspended.next(Event::Succeed), None);
    }
}
