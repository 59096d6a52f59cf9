using LightNet.Backends;

namespace LightNet.Extensions.Hosting;

/// <summary>What <see cref="LightNetServiceCollectionExtensions.AddLightNet(Microsoft.Extensions.DependencyInjection.IServiceCollection, Action{LightNetOptions})"/> registers: one session pool per model.</summary>
public sealed class LightNetOptions
{
    private readonly List<ModelRegistration> _models = [];

    /// <summary>The models registered so far.</summary>
    public IReadOnlyList<ModelRegistration> Models => _models;

    /// <summary>Registers a model under <paramref name="name"/>: a pool of sessions of it on <paramref name="backend"/>.</summary>
    /// <param name="name">The pool's name: the DI key of its <see cref="SessionPool"/>, and the health check's entry.</param>
    /// <param name="model">Loads or builds the model, once, when the pool is first needed (at start-up when warm).</param>
    /// <param name="backend">A backend name for <see cref="Backend.Parse"/>: "cpu-simd", "ort-cpu", "ort-cuda", ...</param>
    /// <param name="poolSize">Sessions in the pool: how many requests run at once; more wait their turn. At least 1.</param>
    /// <param name="inferenceOptions">Session options; null for the defaults.</param>
    /// <returns>This, to chain.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an empty or taken name, an unknown backend or a pool size below 1.</exception>
    public LightNetOptions AddModel(string name, Func<IServiceProvider, Model> model, string backend = "cpu-simd", int poolSize = 2,
        InferenceOptions? inferenceOptions = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (string.IsNullOrWhiteSpace(name) || _models.Any(m => m.Name == name))
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"Model name '{name}' is empty or already registered.");
        }

        if (poolSize < 1)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"The pool of '{name}' needs at least one session, not {poolSize}.");
        }

        Backend.Parse(backend); // an unknown name fails here, at registration, with the suggestion
        _models.Add(new ModelRegistration(name, model, backend, poolSize, inferenceOptions));
        return this;
    }

    /// <summary>Registers an ONNX file under <paramref name="name"/>; see <see cref="AddModel(string, Func{IServiceProvider, Model}, string, int, InferenceOptions?)"/>.</summary>
    /// <param name="name">The pool's name.</param>
    /// <param name="path">Path of the .onnx file.</param>
    /// <param name="backend">A backend name.</param>
    /// <param name="poolSize">Sessions in the pool.</param>
    /// <param name="inferenceOptions">Session options; null for the defaults.</param>
    /// <returns>This, to chain.</returns>
    public LightNetOptions AddModel(string name, string path, string backend = "cpu-simd", int poolSize = 2, InferenceOptions? inferenceOptions = null) =>
        AddModel(name, _ => Model.Load(path), backend, poolSize, inferenceOptions);

    /// <summary>Creates every pool's sessions and runs each once at start-up (default true), so that the first request is not the slow one.</summary>
    public bool WarmUp { get; set; } = true;
}

/// <summary>One registered model.</summary>
/// <param name="Name">The pool's name.</param>
/// <param name="Model">Loads or builds the model.</param>
/// <param name="Backend">The backend name.</param>
/// <param name="PoolSize">Sessions in the pool.</param>
/// <param name="InferenceOptions">Session options, or null.</param>
public sealed record ModelRegistration(string Name, Func<IServiceProvider, Model> Model, string Backend, int PoolSize, InferenceOptions? InferenceOptions);
