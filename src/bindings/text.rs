//! Bindings of the text core: tokenisation (`TextIndex`),
//! neighbourhood sampling and the perturbed documents, built as Python `str`.
//!
//! Python strings may hold lone surrogates; they cross as WTF-8 bytes
//! (`encode('utf-8', 'surrogatepass')`) and come back through the same codec.

use std::borrow::Cow;
use std::ffi::c_char;

use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray2};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString};

use super::{detach, IntoPyResult};
use crate::text::{sample, TextIndex, NON_WORD};

/// (data, distances) of a neighbourhood.
type Sample<'py> = (Bound<'py, PyArray2<f64>>, Bound<'py, PyArray1<f64>>);

/// Rows rendered per hand-over to Python (bounds the extra memory).
const RENDER_CHUNK: usize = 512;

/// The UTF-8 (or, with lone surrogates, WTF-8) bytes of a Python string.
fn wtf8<'a>(s: &'a Bound<'_, PyString>) -> PyResult<Cow<'a, [u8]>> {
    match s.to_str() {
        Ok(v) => Ok(Cow::Borrowed(v.as_bytes())),
        Err(_) => {
            let encoded = s.call_method1("encode", ("utf-8", "surrogatepass"))?;
            Ok(Cow::Owned(encoded.cast::<PyBytes>()?.as_bytes().to_vec()))
        }
    }
}

/// A Python `str` from UTF-8 / WTF-8 bytes.
/// (One decoding pass in CPython; identical to `PyString::new` on valid UTF-8.)
fn new_str<'py>(py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: the pointer and length describe a live byte slice; the codec
    // name is a NUL-terminated literal; the result is a new reference or NULL
    // with an exception set, which `from_owned_ptr_or_err` turns into an error.
    unsafe {
        let ptr = pyo3::ffi::PyUnicode_DecodeUTF8(
            bytes.as_ptr() as *const c_char,
            bytes.len() as pyo3::ffi::Py_ssize_t,
            c"surrogatepass".as_ptr(),
        );
        Bound::from_owned_ptr_or_err(py, ptr)
    }
}

fn to_i64(v: impl IntoIterator<Item = usize>) -> Vec<i64> {
    v.into_iter().map(|x| x as i64).collect()
}

/// A tokenised document (lime's IndexedString / IndexedCharacters core).
#[pyclass(frozen, module = "lime_rs._native", name = "TextIndex")]
struct PyTextIndex {
    inner: TextIndex,
}

#[pymethods]
impl PyTextIndex {
    /// From ready-made tokens and their word flags.
    #[staticmethod]
    fn from_tokens(
        tokens: Vec<Bound<'_, PyString>>,
        is_word: Vec<bool>,
        bow: bool,
        mask: &Bound<'_, PyString>,
    ) -> PyResult<Self> {
        let mut arena = Vec::new();
        let mut bounds = vec![0];
        for t in &tokens {
            arena.extend_from_slice(&wtf8(t)?);
            bounds.push(arena.len());
        }
        let mask = wtf8(mask)?.into_owned();
        Ok(PyTextIndex {
            inner: TextIndex::from_tokens(arena, bounds, &is_word, bow, mask).py()?,
        })
    }

    /// Segmented around the tokens of a user tokenizer.
    #[staticmethod]
    fn from_tokenizer(
        py: Python<'_>,
        text: &Bound<'_, PyString>,
        tokens: Vec<Bound<'_, PyString>>,
        bow: bool,
        mask: &Bound<'_, PyString>,
    ) -> PyResult<Self> {
        let text = wtf8(text)?;
        let owned: Vec<Cow<[u8]>> = tokens.iter().map(wtf8).collect::<PyResult<_>>()?;
        let slices: Vec<&[u8]> = owned.iter().map(|c| c.as_ref()).collect();
        let mask = wtf8(mask)?.into_owned();
        let inner = py
            .detach(|| TextIndex::from_tokenizer(&text, &slices, bow, mask))
            .py()?;
        Ok(PyTextIndex { inner })
    }

    /// Every character a feature.
    #[staticmethod]
    fn from_chars(
        py: Python<'_>,
        text: &Bound<'_, PyString>,
        bow: bool,
        mask: &Bound<'_, PyString>,
    ) -> PyResult<Self> {
        let text = wtf8(text)?;
        let mask = wtf8(mask)?.into_owned();
        let inner = py.detach(|| TextIndex::from_chars(&text, bow, mask)).py()?;
        Ok(PyTextIndex { inner })
    }

    /// Number of features (lime's `num_words()`).
    fn num_features(&self) -> usize {
        self.inner.num_features()
    }

    fn num_tokens(&self) -> usize {
        self.inner.num_tokens()
    }

    /// The tokens as a list of str (lime's `as_list`).
    fn tokens<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let items = (0..self.inner.num_tokens())
            .map(|t| new_str(py, self.inner.token(t)))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, items)
    }

    /// The text of every feature (lime's `inverse_vocab`).
    fn words<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let items = (0..self.inner.num_features())
            .map(|f| new_str(py, self.inner.word(f)))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, items)
    }

    /// Code-point length of every token.
    fn token_char_lengths<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i64>> {
        to_i64(self.inner.token_char_lengths()).into_pyarray(py)
    }

    /// Feature of every token, -1 for separators.
    fn token_features<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i64>> {
        let v: Vec<i64> = self
            .inner
            .token_features()
            .iter()
            .map(|&f| if f == NON_WORD { -1 } else { f as i64 })
            .collect();
        v.into_pyarray(py)
    }

    /// Token indices of every feature, flattened: (indices, offsets).
    fn positions<'py>(
        &self,
        py: Python<'py>,
    ) -> (Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<i64>>) {
        let pos = self.inner.positions();
        let flat = to_i64(pos.iter().flatten().map(|&t| t as usize));
        let mut offsets = vec![0i64];
        for p in pos {
            offsets.push(offsets.last().copied().unwrap_or(0) + p.len() as i64);
        }
        (flat.into_pyarray(py), offsets.into_pyarray(py))
    }

    /// The document with features removed (or masked when not bag of words).
    fn inverse_removing<'py>(
        &self,
        py: Python<'py>,
        words_to_remove: Vec<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let out = self.inner.inverse_removing(&words_to_remove).py()?;
        new_str(py, &out)
    }

    /// lime's neighbourhood: (data (n, d) of 0/1, cosine distances to row 0 * 100).
    fn sample<'py>(&self, py: Python<'py>, num_samples: usize, seed: u64) -> PyResult<Sample<'py>> {
        let d = self.inner.num_features();
        crate::alloc::ensure_room(num_samples, d + 1, "num_samples").py()?;
        let nb = detach(py, || sample::neighbourhood(d, num_samples, seed))?;
        Ok((nb.data.into_pyarray(py), nb.distances.into_pyarray(py)))
    }

    /// The documents of every row of `data` (0 removes a feature), as a list of str.
    fn perturbed_strings<'py>(
        &self,
        py: Python<'py>,
        data: PyReadonlyArray2<'py, f64>,
    ) -> PyResult<Bound<'py, PyList>> {
        let view = data.as_array();
        let n = view.nrows();
        if view.ncols() != self.inner.num_features() {
            return Err(PyValueError::new_err(format!(
                "data: has {} columns but the document has {} features",
                view.ncols(),
                self.inner.num_features()
            )));
        }
        let out = PyList::empty(py);
        let mut start = 0;
        while start < n {
            let end = (start + RENDER_CHUNK).min(n);
            // the GIL is held between chunks: Ctrl-C is seen here
            py.check_signals()?;
            let docs = py
                .detach(|| sample::render_rows(&self.inner, view, start..end))
                .py()?;
            for i in 0..docs.lens.len() {
                out.append(new_str(py, docs.get(i))?)?;
            }
            start = end;
        }
        Ok(out)
    }
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyTextIndex>()?;
    Ok(())
}
