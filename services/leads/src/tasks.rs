//! Background tasks owned by a component and aborted when it is dropped.

/// Background tasks owned by a component: aborted when it is dropped, so a
/// dropped [`crate::Leads`] leaves nothing running.
#[derive(Debug, Default)]
pub(crate) struct TaskSet(std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>);

impl TaskSet {
    pub(crate) fn spawn(&self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        let handle = tokio::spawn(task);
        if let Ok(mut tasks) = self.0.lock() {
            tasks.push(handle);
        }
    }
}

impl Drop for TaskSet {
    fn drop(&mut self) {
        if let Ok(tasks) = self.0.get_mut() {
            for task in tasks.drain(..) {
                task.abort();
            }
        }
    }
}
