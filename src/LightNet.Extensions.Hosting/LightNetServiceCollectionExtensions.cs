using LightNet.Backends;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LightNet.Extensions.Hosting;

/// <summary>Registers LightNet's session pools in an app's services.</summary>
public static class LightNetServiceCollectionExtensions
{
    /// <summary>
    /// Registers one <see cref="SessionPool"/> per model added in <paramref name="configure"/>, as a keyed singleton under
    /// the model's name, plus <see cref="LightNetPools"/> (all of them). With <see cref="LightNetOptions.WarmUp"/> (the
    /// default) a hosted service creates every session and runs it once at start-up. Pools log through the app's
    /// <see cref="ILoggerFactory"/>. Can be called more than once: the models add up.
    /// </summary>
    /// <param name="services">The app's services.</param>
    /// <param name="configure">Adds the models.</param>
    /// <returns><paramref name="services"/>.</returns>
    /// <exception cref="LightNetException">The errors of <see cref="LightNetOptions.AddModel(string, Func{IServiceProvider, Model}, string, int, InferenceOptions?)"/>.</exception>
    public static IServiceCollection AddLightNet(this IServiceCollection services, Action<LightNetOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new LightNetOptions();
        configure(options);
        foreach (ModelRegistration registration in options.Models)
        {
            services.AddKeyedSingleton(registration.Name, (provider, _) =>
            {
                ILoggerFactory? loggerFactory = provider.GetService<ILoggerFactory>();
                // Sessions log to the app's logger factory unless the registration's options name another.
                InferenceOptions sessionOptions = (registration.InferenceOptions ?? InferenceOptions.Default) is var given && given.LoggerFactory is null
                    ? given with { LoggerFactory = loggerFactory }
                    : given;
                return new SessionPool(registration.Name, () => registration.Model(provider), Backend.Parse(registration.Backend), registration.PoolSize,
                    sessionOptions, (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("LightNet.Extensions.Hosting.SessionPool"));
            });
            services.AddSingleton(new PoolName(registration.Name, options.WarmUp));
        }

        services.TryAddSingleton(provider => new LightNetPools(provider.GetServices<PoolName>(), provider));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, LightNetWarmUp>());
        return services;
    }

    /// <summary>
    /// Adds a health check named <paramref name="name"/> that reports Unhealthy when a registered pool's backend cannot
    /// run on this machine (with <see cref="Backend.CheckAvailability"/>'s reason), Healthy otherwise.
    /// </summary>
    /// <param name="builder">From <c>services.AddHealthChecks()</c>.</param>
    /// <param name="name">The check's name.</param>
    /// <param name="tags">Tags for filtering (readiness probes, ...).</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static IHealthChecksBuilder AddLightNet(this IHealthChecksBuilder builder, string name = "lightnet", IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(new HealthCheckRegistration(name, provider => new LightNetHealthCheck(provider.GetRequiredService<LightNetPools>()), HealthStatus.Unhealthy, tags));
    }
}

/// <summary>Every registered <see cref="SessionPool"/>, by name.</summary>
public sealed class LightNetPools
{
    private readonly IReadOnlyList<PoolName> _names;
    private readonly IServiceProvider _provider;

    /// <summary>Created by dependency injection.</summary>
    /// <param name="names">The registered names.</param>
    /// <param name="provider">Where the pools are.</param>
    internal LightNetPools(IEnumerable<PoolName> names, IServiceProvider provider)
    {
        _names = names.ToArray();
        _provider = provider;
    }

    /// <summary>The registered names.</summary>
    public IReadOnlyList<string> Names => _names.Select(n => n.Name).ToArray();

    internal IEnumerable<PoolName> Registrations => _names;

    /// <summary>The pool registered under <paramref name="name"/>.</summary>
    /// <param name="name">A name given to <see cref="LightNetOptions.AddModel(string, Func{IServiceProvider, Model}, string, int, InferenceOptions?)"/>.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an unknown name, with the closest known one.</exception>
    public SessionPool this[string name] => _names.Any(n => n.Name == name)
        ? _provider.GetRequiredKeyedService<SessionPool>(name)
        : throw new LightNetException(ErrorCode.InvalidArgument, $"No LightNet model is registered as '{name}'. Registered: {string.Join(", ", Names)}.");
}

/// <summary>A registered pool's name, and whether it is warmed at start-up.</summary>
internal sealed record PoolName(string Name, bool WarmUp);

/// <summary>Creates and runs every session of the pools registered with warm-up, before the app takes requests.</summary>
internal sealed class LightNetWarmUp(LightNetPools pools, ILoggerFactory? loggerFactory = null) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        ILogger logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("LightNet.Extensions.Hosting.WarmUp");
        foreach (PoolName name in pools.Registrations.Where(n => n.WarmUp))
        {
            SessionPool pool = pools[name.Name];
            BackendAvailability availability = pool.Backend.CheckAvailability();
            if (!availability.IsAvailable)
            {
                // The health check reports it; the app still starts, so that it can say so.
                logger.LogError("LightNet pool '{Pool}': backend {Backend} is unavailable: {Reason}", name.Name, pool.Backend.Name, availability.Reason);
                continue;
            }

            await pool.WarmUpAsync(cancellationToken).ConfigureAwait(false);
            logger.LogInformation("LightNet pool '{Pool}': {Count} sessions of {Model} on {Backend} warmed up", name.Name, pool.Capacity, pool.Model.Graph.Name, pool.Backend.Name);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Unhealthy when a registered pool's backend is unavailable here.</summary>
internal sealed class LightNetHealthCheck(LightNetPools pools) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        var unavailable = new List<string>();
        foreach (string name in pools.Names)
        {
            SessionPool pool = pools[name];
            BackendAvailability availability = pool.Backend.CheckAvailability();
            data[name] = $"{pool.Backend.Name}: {(availability.IsAvailable ? "available" : "unavailable")} ({pool.Created}/{pool.Capacity} sessions created)";
            if (!availability.IsAvailable)
            {
                unavailable.Add($"'{name}' on {pool.Backend.Name}: {availability.Reason}");
            }
        }

        return Task.FromResult(unavailable.Count == 0
            ? HealthCheckResult.Healthy($"{pools.Names.Count} LightNet model(s) ready", data)
            : new HealthCheckResult(context.Registration.FailureStatus, string.Join(" ", unavailable), data: data));
    }
}
