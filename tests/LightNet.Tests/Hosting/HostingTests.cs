using System.Net;
using System.Net.Http.Json;
using LightNet.Extensions.Hosting;
using LightNet.Zoo;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Xunit;

namespace LightNet.Tests.Hosting;

/// <summary>samples/WebClassifier through WebApplicationFactory, and the session pool of LightNet.Extensions.Hosting.</summary>
public sealed class HostingTests : IClassFixture<WebApplicationFactory<Program>>
{
    private readonly WebApplicationFactory<Program> _factory;

    public HostingTests(WebApplicationFactory<Program> factory) =>
        _factory = factory.WithWebHostBuilder(b => b.UseSetting("Model", "squeezenet1_1").UseSetting("Resolution", "64").UseSetting("PoolSize", "2"));

    [Fact]
    public async Task Classify_returns_the_top_classes_of_a_photo()
    {
        using HttpClient client = _factory.CreateClient();
        using var content = new ByteArrayContent(await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "TestImages", "cat.jpg")));
        HttpResponseMessage response = await client.PostAsync("/classify?k=3", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        ClassifyResponse? body = await response.Content.ReadFromJsonAsync<ClassifyResponse>();
        Assert.NotNull(body);
        Assert.Equal("cpu-simd", body.Backend);
        Assert.Equal(3, body.Top.Length);
        Assert.True(body.Top[0].Probability >= body.Top[1].Probability && body.Top[1].Probability >= body.Top[2].Probability);
        Assert.InRange(body.Top.Sum(t => t.Probability), 0.001f, 1.0001f);
        Assert.All(body.Top, t => Assert.False(string.IsNullOrEmpty(t.Label)));
    }

    [Fact]
    public async Task Classify_rejects_what_is_not_an_image_and_health_is_reported()
    {
        using HttpClient client = _factory.CreateClient();
        HttpResponseMessage bad = await client.PostAsync("/classify", new ByteArrayContent([1, 2, 3, 4]));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        HttpResponseMessage health = await client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("Healthy", await health.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Pool_is_bounded_and_lends_each_session_to_one_caller()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddLightNet(o => o.AddModel("tiny", _ => ModelZoo.Create("squeezenet1_1", new ZooOptions { Resolution = 64, Classes = 10 }), "cpu-simd", poolSize: 1));
        await using ServiceProvider provider = services.BuildServiceProvider();
        SessionPool pool = provider.GetRequiredService<LightNetPools>()["tiny"];
        Assert.Same(pool, provider.GetRequiredKeyedService<SessionPool>("tiny"));

        SessionLease first = await pool.RentAsync();
        ValueTask<SessionLease> second = pool.RentAsync();
        await Task.Delay(50);
        Assert.False(second.IsCompleted); // the one session is lent
        first.Dispose();
        using SessionLease next = await second.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Same(first.Session, next.Session);
        Assert.Equal(1, pool.Created);
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => provider.GetRequiredService<LightNetPools>()["other"]).Code);
    }

    [Fact]
    public async Task Health_check_is_unhealthy_when_the_backend_cannot_run_here()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddLightNet(o => { o.WarmUp = false; o.AddModel("gpu", _ => ModelZoo.Create("squeezenet1_1"), "ort-directml"); });
        services.AddHealthChecks().AddLightNet();
        await using ServiceProvider provider = services.BuildServiceProvider();
        HealthReport report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Unhealthy, report.Status);
        Assert.Contains("ort-directml", report.Entries["lightnet"].Description, StringComparison.Ordinal);
    }
}
