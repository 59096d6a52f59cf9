using LightNet.Onnx;

namespace LightNet.Backends;

/// <summary>
/// Matches the shapes of the tensors actually given for a model's inputs against the declared shapes: checks the rank and
/// every fixed dimension, and reads the value of every symbolic dimension (<c>dim_param</c>) off the given shapes, so that
/// a backend or the profiler can pass them on as <see cref="InferenceOptions.DimensionValues"/>.
/// </summary>
internal static class InputShapeMatcher
{
    /// <summary>
    /// The value of every <c>dim_param</c> that the given shapes fix. Inputs without a given shape, and inputs without a
    /// declared shape, are skipped; unnamed unknown dimensions take any size.
    /// </summary>
    /// <param name="modelName">The model, for messages.</param>
    /// <param name="declared">The model's inputs: name and declared shape (null when the model declares none).</param>
    /// <param name="shapeOf">The shape given for an input, or null when none was given.</param>
    /// <returns>dim_param name → value.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidShape"/> naming the input, its declared and its given shape when
    /// the rank or a fixed dimension differs, or naming both inputs when one <c>dim_param</c> would take two values.</exception>
    public static Dictionary<string, long> Match(string modelName, IEnumerable<(string Name, IReadOnlyList<Dimension>? Declared)> declared,
        Func<string, IReadOnlyList<long>?> shapeOf)
    {
        ArgumentNullException.ThrowIfNull(declared);
        ArgumentNullException.ThrowIfNull(shapeOf);
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        var source = new Dictionary<string, (string Input, IReadOnlyList<long> Shape)>(StringComparer.Ordinal);
        foreach ((string name, IReadOnlyList<Dimension>? shape) in declared)
        {
            if (shapeOf(name) is not { } given)
            {
                continue;
            }

            Check(modelName, name, shape, given);
            if (shape is null)
            {
                continue;
            }

            for (int axis = 0; axis < shape.Count; axis++)
            {
                if (shape[axis].Parameter is not string p || shape[axis].IsFixed)
                {
                    continue;
                }

                if (values.TryGetValue(p, out long previous))
                {
                    if (previous != given[axis])
                    {
                        (string otherInput, IReadOnlyList<long> otherShape) = source[p];
                        throw new LightNetException(ErrorCode.InvalidShape,
                            $"Symbolic dimension '{p}' of '{modelName}' is {previous} in input '{otherInput}' (shape {Dimension.Format(otherShape)}) "
                            + $"but {given[axis]} in input '{name}' (shape {Dimension.Format(given)}); inputs that share a dimension name must agree.");
                    }

                    continue;
                }

                values[p] = given[axis];
                source[p] = (name, given);
            }
        }

        return values;
    }

    /// <summary>Whether <paramref name="given"/> has the declared rank and every fixed dimension; throws when not.</summary>
    /// <param name="modelName">The model, for messages.</param>
    /// <param name="input">The input's name.</param>
    /// <param name="shape">The declared shape; null accepts any shape.</param>
    /// <param name="given">The given shape.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidShape"/> naming the input, its declared and its given shape.</exception>
    public static void Check(string modelName, string input, IReadOnlyList<Dimension>? shape, IReadOnlyList<long> given)
    {
        if (shape is null)
        {
            return;
        }

        string? problem = null;
        if (shape.Count != given.Count)
        {
            problem = $"rank {given.Count}, not {shape.Count}";
        }
        else
        {
            for (int axis = 0; axis < shape.Count && problem is null; axis++)
            {
                if (shape[axis].Value is long v && v != given[axis])
                {
                    problem = $"axis {axis} must be {v}";
                }
                else if (given[axis] < 0)
                {
                    problem = $"axis {axis} is negative";
                }
            }
        }

        if (problem is not null)
        {
            throw new LightNetException(ErrorCode.InvalidShape,
                $"Input '{input}' of '{modelName}' is declared {Dimension.Format(shape)}, but a tensor of shape {Dimension.Format(given)} was given ({problem}).");
        }
    }
}
