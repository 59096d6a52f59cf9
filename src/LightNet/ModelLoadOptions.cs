namespace LightNet;

/// <summary>
/// Limits and permissions for reading a model. Models are code: the defaults are strict, and a caller who
/// needs more says so.
/// </summary>
public sealed record ModelLoadOptions
{
    /// <summary>
    /// The defaults: 2 GiB file cap, protobuf recursion limit 100, external data off, and count limits (nodes, graph
    /// inputs, initializers, attributes per node, stored elements) far above any real network; a model over a count
    /// limit is refused with <see cref="ErrorCode.ResourceLimit"/> naming the option.
    /// </summary>
    public static ModelLoadOptions Default { get; } = new();

    /// <summary>Largest model file accepted, in bytes (default 2 GiB, which is also protobuf's own ceiling).</summary>
    public long MaxFileBytes { get; init; } = 2L * 1024 * 1024 * 1024;

    /// <summary>How deeply protobuf messages may nest (subgraphs inside attributes inside nodes); default 100.</summary>
    public int RecursionLimit { get; init; } = 100;

    /// <summary>
    /// Whether tensors may keep their data in external files. Off by default. When on, only a model loaded
    /// from a path may use it, and only with relative paths that stay inside the model's folder.
    /// </summary>
    public bool AllowExternalData { get; init; }

    /// <summary>Largest element count of any single tensor (default 2^34).</summary>
    public long MaxTensorElements { get; init; } = 1L << 34;

    /// <summary>Most nodes in all graphs of the model together, subgraphs included (default 1,000,000).</summary>
    public int MaxNodes { get; init; } = 1_000_000;

    /// <summary>Most graph inputs of any one graph (default 100,000).</summary>
    public int MaxGraphInputs { get; init; } = 100_000;

    /// <summary>Most initializers in all graphs together (default 1,000,000).</summary>
    public int MaxInitializers { get; init; } = 1_000_000;

    /// <summary>Most attributes on one node (default 1,000).</summary>
    public int MaxAttributesPerNode { get; init; } = 1_000;

    /// <summary>Most elements of all stored tensors together (initializers and tensor attributes; default 2^34).</summary>
    public long MaxTotalElements { get; init; } = 1L << 34;

    internal void Validate()
    {
        foreach ((string name, long value) in new[]
        {
            (nameof(MaxNodes), (long)MaxNodes), (nameof(MaxGraphInputs), MaxGraphInputs), (nameof(MaxInitializers), MaxInitializers),
            (nameof(MaxAttributesPerNode), MaxAttributesPerNode), (nameof(MaxTotalElements), MaxTotalElements),
        })
        {
            if (value <= 0)
            {
                throw new LightNetException(ErrorCode.InvalidArgument, $"{name} must be positive, not {value}.");
            }
        }

        if (MaxFileBytes <= 0)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"{nameof(MaxFileBytes)} must be positive, not {MaxFileBytes}.");
        }

        if (RecursionLimit is < 1 or > 10_000)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"{nameof(RecursionLimit)} must be between 1 and 10000, not {RecursionLimit}.");
        }

        if (MaxTensorElements <= 0)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"{nameof(MaxTensorElements)} must be positive, not {MaxTensorElements}.");
        }
    }
}
