"""Text given as X is refused, as scikit-learn refuses it, by the function
and the estimator alike: strings (even of numbers), bytes, and text among
objects or in a DataFrame column; objects that are numbers are accepted."""

import numpy as np
import pandas as pd
import pytest

from kmeanslab import KMeans, kmeans

NUMBERS = np.array([[1.5, 2.0], [3.0, 4.5], [5.0, 6.0], [7.5, 8.0]])


@pytest.mark.parametrize("X, where", [
    (NUMBERS.astype(str), "dtype <U"),
    (NUMBERS.astype(bytes), "dtype |S"),
    (NUMBERS.astype(str).tolist(), "dtype <U"),
    (np.array([[1.5, "2"], [3.0, 4.5], [5.0, 6.0], [7.5, 8.0]], dtype=object),
     "dtype object, e.g. '2'"),
    (pd.DataFrame({"a": NUMBERS[:, 0], "b": NUMBERS[:, 1].astype(str)}),
     "column 'b', e.g. '2.0'"),
], ids=["str", "bytes", "list-of-str", "object-with-str", "dataframe-text-column"])
@pytest.mark.parametrize("fit", ["kmeans", "KMeans"])
def test_text_is_refused(X, where, fit):
    with pytest.raises(TypeError) as info:
        if fit == "kmeans":
            kmeans(X, 2, random_state=0)
        else:
            KMeans(2, random_state=0).fit(X)
    message = str(info.value)
    assert message.startswith("X holds text (") and where in message
    assert "convert X explicitly" in message


def test_numbers_as_objects_are_accepted():
    expected = KMeans(2, random_state=0).fit(NUMBERS)
    model = KMeans(2, random_state=0).fit(NUMBERS.astype(object))
    np.testing.assert_array_equal(model.labels_, expected.labels_)
    np.testing.assert_array_equal(kmeans(NUMBERS.astype(object), 2,
                                         random_state=0).labels, expected.labels_)


def test_predict_refuses_text():
    model = KMeans(2, random_state=0).fit(NUMBERS)
    with pytest.raises(TypeError, match="X holds text"):
        model.predict(NUMBERS.astype(str))
