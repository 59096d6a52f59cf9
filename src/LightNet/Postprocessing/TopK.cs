namespace LightNet.Postprocessing;

/// <summary>The k largest scores of a vector, largest first (ties: lower index first).</summary>
public static class TopK
{
    /// <summary>Indices and values of the <paramref name="k"/> largest scores, largest first.</summary>
    /// <param name="scores">The scores; NaN values are never selected.</param>
    /// <param name="k">How many, 1 or more; capped at the number of scores.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for k &lt; 1 or no scores.</exception>
    public static IReadOnlyList<(int Index, float Score)> Select(ReadOnlySpan<float> scores, int k)
    {
        if (k < 1)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"Top-k needs k of at least 1, not {k}.");
        }

        if (scores.IsEmpty)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "Top-k needs at least one score.");
        }

        var best = new (int Index, float Score)[Math.Min(k, scores.Length)];
        return best[..SelectInto(scores, best)];
    }

    /// <summary>
    /// Writes the indices and values of the <c>top.Length</c> largest scores into <paramref name="top"/>, largest first;
    /// allocates nothing.
    /// </summary>
    /// <param name="scores">The scores; NaN values are never selected.</param>
    /// <param name="top">Receives the entries; its length is k.</param>
    /// <returns>How many were written: at most <c>top.Length</c> and the number of non-NaN scores.</returns>
    public static int SelectInto(ReadOnlySpan<float> scores, Span<(int Index, float Score)> top)
    {
        // Insertion into a sorted list of k: O(n·k), fast for the usual k ≤ 10 over 1000 classes.
        int k = Math.Min(top.Length, scores.Length), count = 0;
        if (k == 0)
        {
            return 0;
        }

        for (int i = 0; i < scores.Length; i++)
        {
            float v = scores[i];
            if (float.IsNaN(v) || (count == k && v <= top[count - 1].Score))
            {
                continue;
            }

            int at = count < k ? count++ : k - 1;
            while (at > 0 && top[at - 1].Score < v)
            {
                top[at] = top[at - 1];
                at--;
            }

            top[at] = (i, v);
        }

        return count;
    }

    /// <summary>The <paramref name="k"/> most probable classes with their labels.</summary>
    /// <param name="probabilities">One probability (or score) per class.</param>
    /// <param name="k">How many, 1 or more; capped at the number of classes.</param>
    /// <param name="labels">Class names by index; null for <see cref="ImageNetLabels.Default"/> when there are 1000 (or 1001) classes,
    /// "class N" otherwise.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for k &lt; 1, no scores, or labels of another count.</exception>
    public static IReadOnlyList<Classification> Classify(ReadOnlySpan<float> probabilities, int k, IReadOnlyList<string>? labels = null)
    {
        Func<int, string> name = LabelFunction(probabilities.Length, labels);
        return Select(probabilities, k).Select(p => new Classification(p.Index, name(p.Index), p.Score)).ToArray();
    }

    internal static Func<int, string> LabelFunction(int classes, IReadOnlyList<string>? labels)
    {
        if (labels is not null)
        {
            if (labels.Count != classes)
            {
                throw new LightNetException(ErrorCode.InvalidArgument, $"{labels.Count} labels were given for {classes} classes.");
            }

            return i => labels[i];
        }

        ImageNetLabels imageNet = ImageNetLabels.Default;
        return classes switch
        {
            1000 => i => imageNet[i],
            // TensorFlow-slim models put a "background" class first.
            1001 => i => i == 0 ? "background" : imageNet[i - 1],
            _ => i => $"class {i}",
        };
    }
}
