//! Registries that services fill at start-up and every request reads: once the node has
//! started they are frozen, and reads take no lock.

use std::sync::{OnceLock, PoisonError, RwLock};

pub struct Frozen<T> {
    frozen: OnceLock<T>,
    building: RwLock<T>,
}

impl<T: Default> Default for Frozen<T> {
    fn default() -> Self {
        Frozen {
            frozen: OnceLock::new(),
            building: RwLock::new(T::default()),
        }
    }
}

impl<T: Default> Frozen<T> {
    pub fn new(value: T) -> Self {
        Frozen {
            frozen: OnceLock::new(),
            building: RwLock::new(value),
        }
    }

    /// Reads the registry: lock-free once frozen.
    pub fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        match self.frozen.get() {
            Some(value) => f(value),
            None => f(&self.building.read().unwrap_or_else(PoisonError::into_inner)),
        }
    }

    /// Changes the registry while the node starts. A change after [`freeze`](Self::freeze) is a
    /// registration outside start-up: it is logged and not seen.
    pub fn write<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        if self.frozen.get().is_some() {
            tracing::error!(
                registry = std::any::type_name::<T>(),
                "registered after start-up; the change is not seen"
            );
        }
        f(&mut self
            .building
            .write()
            .unwrap_or_else(PoisonError::into_inner))
    }

    /// Ends start-up: from now on reads take no lock.
    pub fn freeze(&self) {
        let value = std::mem::take(
            &mut *self
                .building
                .write()
                .unwrap_or_else(PoisonError::into_inner),
        );
        if self.frozen.set(value).is_err() {
            tracing::warn!(registry = std::any::type_name::<T>(), "frozen twice");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_see_writes_before_and_after_freezing() {
        let registry: Frozen<Vec<u32>> = Frozen::default();
        registry.write(|v| v.push(1));
        assert_eq!(registry.read(|v| v.clone()), vec![1]);
        registry.freeze();
        assert_eq!(registry.read(|v| v.clone()), vec![1]);
    }
}
