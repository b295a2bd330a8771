"""Hashed n-gram TF-IDF: features without a vocabulary, so a model's memory does not grow with its text.

Pickled models reference `KnownTermsTfidf` by its qualified name: renaming or moving it breaks every
saved model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.pipeline import Pipeline, make_pipeline


class KnownTermsTfidf(TfidfTransformer):  # type: ignore[misc]  # scikit-learn ships no types
    """TF-IDF that weighs n-grams no fitted text had at 0, as a vocabulary would leave them out.

    Without it, a question's unknown words would count in its vector's length and lower its cosine
    similarity to every prompt, so thresholds measured with vocabularies would no longer hold.
    """

    def fit(self, X: Any, y: Any = None) -> KnownTermsTfidf:
        super().fit(X, y)
        seen = np.bincount(csr_matrix(X).indices, minlength=X.shape[1]) > 0
        idf: np.ndarray = getattr(self, "idf_")  # noqa: B009 (set by the fit above; mypy cannot see it)
        self.idf_ = np.where(seen, idf, 0).astype(idf.dtype)
        return self


def hashed_tfidf(
    bits: int, preprocessor: Callable[[str], str], *, known_terms_only: bool = False, **options: Any
) -> Pipeline:
    """Hashed n-gram counts into 2**bits columns, then sublinear TF-IDF (L2-normalised rows)."""
    vectorizer = HashingVectorizer(
        preprocessor=preprocessor,
        n_features=2**bits,
        alternate_sign=False,  # counts, for TF-IDF to weigh
        norm=None,  # the TF-IDF step normalises
        dtype=np.float32,  # halves the feature matrix, the biggest allocation when fitting
        **options,
    )
    weighting = KnownTermsTfidf if known_terms_only else TfidfTransformer
    return make_pipeline(vectorizer, weighting(sublinear_tf=True))
