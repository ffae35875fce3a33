//! STUB until the real thread splitter lands.
#[derive(Debug, thiserror::Error)]
pub enum ThreadError {
    #[error("a single URL or word is longer than one post can hold")]
    Unsplittable,
}
pub fn split_thread(text: &str, limit: usize, measure: &dyn Fn(&str) -> usize) -> Result<Vec<String>, ThreadError> {
    if measure(text) <= limit { Ok(vec![text.to_string()]) } else { Err(ThreadError::Unsplittable) }
}
