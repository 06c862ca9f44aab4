/* check_loss.c -- RL weights (reward-to-go, advantage, AWR), the IL and RL
 * losses in closed form, and their gradients against finite differences.
 *
 * Demonstrations are filled by hand in structs on the stack: the loss module
 * only reads n_steps, n_episodes, reward, episode_start and episode_length. */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <gsl/gsl_rng.h>

#include "ilrl/error.h"
#include "ilrl/loss.h"
#include "ilrl/mlp.h"

/* A demo over caller-owned arrays; only what ilrl_reward_to_go reads. */
static struct ilrl_demo hand_demo(size_t n_steps, size_t n_episodes,
                                  double *reward, int64_t *start, int *length,
                                  unsigned char *terminated)
{
    struct ilrl_demo demo;
    memset(&demo, 0, sizeof demo);
    demo.n_steps = n_steps;
    demo.n_features = 1;
    demo.n_episodes = n_episodes;
    demo.n_actions = 2;
    demo.reward = reward;
    demo.episode_start = start;
    demo.episode_length = length;
    demo.terminated = terminated;
    return demo;
}

/* ---- RL weights ---------------------------------------------------------- */

START_TEST(test_reward_to_go_by_hand)
{
    /* Three episodes back to back, gamma = 0.5:
     *   terminated [1, 0, -1]: G = [1 + 0.5(0 + 0.5(-1)), 0 + 0.5(-1), -1]
     *                            = [0.75, -0.5, -1]
     *   truncated  [0.5, 0.5]: G = [0.75, 0.5]  (no bootstrap past the cut)
     *   terminated [2]:        G = [2]
     *   truncated  [0, 0, 4]:  G = [1, 2, 4] */
    double reward[] = {1, 0, -1, 0.5, 0.5, 2, 0, 0, 4};
    int64_t start[] = {0, 3, 5, 6};
    int length[] = {3, 2, 1, 3};
    unsigned char terminated[] = {1, 0, 1, 0};
    struct ilrl_demo demo = hand_demo(9, 4, reward, start, length, terminated);
    double G[9];
    const double expected[9] = {0.75, -0.5, -1, 0.75, 0.5, 2, 1, 2, 4};
    ilrl_reward_to_go(&demo, 0.5, G);
    for (int t = 0; t < 9; t++)
        ck_assert_double_eq(G[t], expected[t]);   /* exact in binary */

    /* gamma = 1: plain sums; gamma = 0: the reward itself. */
    const double undiscounted[9] = {0, -1, -1, 1, 0.5, 2, 4, 4, 4};
    ilrl_reward_to_go(&demo, 1.0, G);
    for (int t = 0; t < 9; t++)
        ck_assert_double_eq(G[t], undiscounted[t]);
    ilrl_reward_to_go(&demo, 0.0, G);
    for (int t = 0; t < 9; t++)
        ck_assert_double_eq(G[t], reward[t]);

    /* The default gamma 0.99 on a 4-step episode against the defining sum. */
    double r4[] = {0.1, 0.1, 1.0, -1.0};
    int64_t s4[] = {0};
    int l4[] = {4};
    unsigned char t4[] = {1};
    struct ilrl_demo d4 = hand_demo(4, 1, r4, s4, l4, t4);
    double G4[4];
    ilrl_reward_to_go(&d4, 0.99, G4);
    for (int t = 0; t < 4; t++) {
        double sum = 0.0;
        for (int k = 0; k <= 3 - t; k++)
            sum += pow(0.99, k) * r4[t + k];
        ck_assert_double_eq_tol(G4[t], sum, 1e-15);
    }
}
END_TEST

/* Rewards with gamma = 0, so G = r = [2, 4, 4, 4, 5, 5, 7, 9]: mean 5,
 * population std 2, advantages [-3, -1, -1, -1, 0, 0, 2, 4]. */
static double weights_reward[] = {2, 4, 4, 4, 5, 5, 7, 9};
static int64_t weights_start[] = {0, 3, 6};
static int weights_length[] = {3, 3, 2};
static unsigned char weights_terminated[] = {1, 0, 1};
static const double weights_advantage[] = {-3, -1, -1, -1, 0, 0, 2, 4};

START_TEST(test_rl_weights_return_and_advantage)
{
    struct ilrl_demo demo = hand_demo(8, 3, weights_reward, weights_start,
                                      weights_length, weights_terminated);
    double w[8];
    ilrl_rl_weights(&demo, (struct ilrl_rl_weight){ILRL_RL_WEIGHT_RETURN, 0}, 0.0, w);
    for (int t = 0; t < 8; t++)
        ck_assert_double_eq(w[t], weights_reward[t]);
    ilrl_rl_weights(&demo, (struct ilrl_rl_weight){ILRL_RL_WEIGHT_ADVANTAGE, 0}, 0.0, w);
    for (int t = 0; t < 8; t++)
        ck_assert_double_eq(w[t], weights_advantage[t]);
}
END_TEST

START_TEST(test_rl_weights_awr_with_clip)
{
    struct ilrl_demo demo = hand_demo(8, 3, weights_reward, weights_start,
                                      weights_length, weights_terminated);
    double w[8];
    /* beta = 1: exp(A / 2), largest exp(2) = 7.39 < 20, no clip. */
    ilrl_rl_weights(&demo, (struct ilrl_rl_weight){ILRL_RL_WEIGHT_AWR, 1.0}, 0.0, w);
    for (int t = 0; t < 8; t++)
        ck_assert_double_eq_tol(w[t], exp(weights_advantage[t] / 2.0), 1e-15);
    /* beta = 0.25: exp(2 A); exp(4) = 54.6 and exp(8) clip to 20, exp(2) =
     * 7.39 stays. */
    ilrl_rl_weights(&demo, (struct ilrl_rl_weight){ILRL_RL_WEIGHT_AWR, 0.25}, 0.0, w);
    const double clipped[8] = {exp(-6.0), exp(-2.0), exp(-2.0), exp(-2.0),
                               1.0, 1.0, 20.0, 20.0};
    for (int t = 0; t < 8; t++)
        ck_assert_double_eq_tol(w[t], clipped[t], 1e-15);
    ck_assert_double_eq(w[6], 20.0);
    ck_assert_double_eq(w[7], 20.0);
    /* Tiny beta overflows exp(): still exactly 20, never inf or NaN. */
    ilrl_rl_weights(&demo, (struct ilrl_rl_weight){ILRL_RL_WEIGHT_AWR, 1e-300}, 0.0, w);
    ck_assert_double_eq(w[7], 20.0);
    ck_assert_double_eq(w[0], 0.0);

    /* All returns equal: std 0, every weight 1 (not 0/0). */
    double flat[] = {1, 1, 1};
    int64_t s[] = {0, 1, 2};
    int l[] = {1, 1, 1};
    unsigned char term[] = {1, 1, 1};
    struct ilrl_demo flat_demo = hand_demo(3, 3, flat, s, l, term);
    ilrl_rl_weights(&flat_demo, (struct ilrl_rl_weight){ILRL_RL_WEIGHT_AWR, 1.0}, 0.9, w);
    for (int t = 0; t < 3; t++)
        ck_assert_double_eq(w[t], 1.0);
}
END_TEST

START_TEST(test_rl_weight_parse_and_format)
{
    struct ilrl_rl_weight weight;
    char text[64];
    ck_assert_int_eq(ilrl_rl_weight_parse("return", &weight), ILRL_OK);
    ck_assert_int_eq(weight.kind, ILRL_RL_WEIGHT_RETURN);
    ilrl_rl_weight_format(weight, text, sizeof text);
    ck_assert_str_eq(text, "return");
    ck_assert_int_eq(ilrl_rl_weight_parse("advantage", &weight), ILRL_OK);
    ck_assert_int_eq(weight.kind, ILRL_RL_WEIGHT_ADVANTAGE);
    ilrl_rl_weight_format(weight, text, sizeof text);
    ck_assert_str_eq(text, "advantage");
    ck_assert_int_eq(ilrl_rl_weight_parse("awr:0.5", &weight), ILRL_OK);
    ck_assert_int_eq(weight.kind, ILRL_RL_WEIGHT_AWR);
    ck_assert_double_eq(weight.beta, 0.5);
    ilrl_rl_weight_format(weight, text, sizeof text);
    ck_assert_str_eq(text, "awr:0.5");
    ck_assert_int_eq(ilrl_rl_weight_parse("awr:1e-3", &weight), ILRL_OK);
    ilrl_rl_weight_format(weight, text, sizeof text);
    ck_assert_str_eq(text, "awr:0.001");
    /* Round trip of a beta with many digits. */
    weight.beta = 0.1 + 0.2;
    ilrl_rl_weight_format(weight, text, sizeof text);
    struct ilrl_rl_weight back;
    ck_assert_int_eq(ilrl_rl_weight_parse(text, &back), ILRL_OK);
    ck_assert_double_eq(back.beta, weight.beta);

    const char *bad[] = {"awr:", "awr:0", "awr:-1", "awr:x", "awr:1x", "awr:nan",
                         "awr:inf", "awr", "Return", "", "advantage "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ilrl_error_clear();
        ck_assert_int_eq(ilrl_rl_weight_parse(bad[i], &weight), ILRL_EUSAGE);
        ck_assert_msg(strstr(ilrl_error_message(), "--rl-weight"),
                      "'%s': message '%s'", bad[i], ilrl_error_message());
    }
}
END_TEST

/* ---- losses in closed form ----------------------------------------------------- */

START_TEST(test_zero_network_gives_log_k)
{
    /* All parameters 0: uniform policy, every l_t = -log K, so
     * L_IL = log K and L_RL = log K * mean(w) whatever the data. */
    const char *layer_lists[] = {"3,4,2", "3,5,4,3", "3,7"};
    for (int case_index = 0; case_index < 3; case_index++) {
        size_t *sizes, n_sizes;
        ck_assert_int_eq(ilrl_mlp_parse_layers(layer_lists[case_index], &sizes,
                                               &n_sizes), ILRL_OK);
        struct ilrl_mlp *mlp = ilrl_mlp_alloc(sizes, n_sizes, ILRL_ACTIVATION_TANH);
        free(sizes);
        size_t K = mlp->sizes[mlp->n_layers], N = 300;
        double *theta = calloc(mlp->n_params, sizeof *theta);
        double *obs = malloc(N * 3 * sizeof *obs), *weight = malloc(N * sizeof *weight);
        int *action = malloc(N * sizeof *action);
        double weight_sum = 0.0;
        for (size_t t = 0; t < N; t++) {
            for (int d = 0; d < 3; d++)
                obs[t * 3 + d] = sin((double)(t * 3 + d));
            action[t] = (int)(t % K);
            weight[t] = cos((double)t);
            weight_sum += weight[t];
        }
        struct ilrl_loss_data data = {N, 3, obs, action, weight};
        ck_assert_int_eq(ilrl_loss_data_check(mlp, &data), ILRL_OK);
        struct ilrl_loss_work *work = ilrl_loss_work_alloc(mlp, N);
        double il, rl;
        ilrl_loss_eval(mlp, theta, &data, work, &il, &rl, NULL, NULL);
        /* 300 rounded terms: allow N * eps. */
        ck_assert_double_eq_tol(il, log((double)K), 1e-13);
        ck_assert_double_eq_tol(rl, log((double)K) * weight_sum / (double)N, 1e-13);
        ilrl_loss_work_free(work);
        free(theta);
        free(obs);
        free(weight);
        free(action);
        ilrl_mlp_free(mlp);
    }
}
END_TEST

/* One layer, D = 2, K = 2: W = [[1, 2], [0, -1]], b = [0.5, 0].
 *   s0 = (1, 0),  a0 = 0, w0 = 2:  z = (1.5, 0),   l0 = 1.5 - log(e^1.5 + 1)
 *   s1 = (0, 1),  a1 = 1, w1 = -1: z = (2.5, -1),  l1 = -1 - log(e^2.5 + e^-1)
 *   s2 = (-1, 1), a2 = 0, w2 = 0.5: z = (1.5, -1), l2 = 1.5 - log(e^1.5 + e^-1)
 * L_IL = -(l0 + l1 + l2) / 3,  L_RL = -(2 l0 - l1 + 0.5 l2) / 3, and with
 * p_t = softmax(z_t), e_t = onehot(a_t):
 *   dL/dW[j,k] = (1/3) sum_t w_t (p_tj - e_tj) s_tk, dL/db[j] likewise without s. */
START_TEST(test_one_layer_network_by_hand)
{
    size_t sizes[] = {2, 2};
    struct ilrl_mlp *mlp = ilrl_mlp_alloc(sizes, 2, ILRL_ACTIVATION_RELU);
    const double theta[] = {1, 2, 0, -1, 0.5, 0};
    const double obs[] = {1, 0, 0, 1, -1, 1};
    const int action[] = {0, 1, 0};
    const double weight[] = {2, -1, 0.5};
    struct ilrl_loss_data data = {3, 2, obs, action, weight};
    struct ilrl_loss_work *work = ilrl_loss_work_alloc(mlp, 3);

    double l0 = 1.5 - log(exp(1.5) + 1.0);
    double l1 = -1.0 - log(exp(2.5) + exp(-1.0));
    double l2 = 1.5 - log(exp(1.5) + exp(-1.0));
    double il, rl, grad_il[6], grad_rl[6];
    ilrl_loss_eval(mlp, theta, &data, work, &il, &rl, grad_il, grad_rl);
    ck_assert_double_eq_tol(il, -(l0 + l1 + l2) / 3.0, 1e-15);
    ck_assert_double_eq_tol(rl, -(2.0 * l0 - l1 + 0.5 * l2) / 3.0, 1e-15);

    double p[3][2] = {{exp(l0), 1.0 - exp(l0)},
                      {1.0 - exp(l1), exp(l1)},
                      {exp(l2), 1.0 - exp(l2)}};
    double expected_il[6] = {0}, expected_rl[6] = {0};
    for (int t = 0; t < 3; t++)
        for (int j = 0; j < 2; j++) {
            double d = p[t][j] - (j == action[t] ? 1.0 : 0.0);
            for (int k = 0; k < 2; k++) {
                expected_il[j * 2 + k] += d * obs[t * 2 + k] / 3.0;
                expected_rl[j * 2 + k] += weight[t] * d * obs[t * 2 + k] / 3.0;
            }
            expected_il[4 + j] += d / 3.0;
            expected_rl[4 + j] += weight[t] * d / 3.0;
        }
    for (int i = 0; i < 6; i++) {
        ck_assert_double_eq_tol(grad_il[i], expected_il[i], 1e-15);
        ck_assert_double_eq_tol(grad_rl[i], expected_rl[i], 1e-15);
    }
    ilrl_loss_work_free(work);
    ilrl_loss_work_free(NULL);
    ilrl_mlp_free(mlp);
}
END_TEST

START_TEST(test_data_check_names_the_problem)
{
    size_t sizes[] = {2, 3};
    struct ilrl_mlp *mlp = ilrl_mlp_alloc(sizes, 2, ILRL_ACTIVATION_TANH);
    double obs[] = {1, 0, 0, 1};
    int action[] = {0, 3};
    double weight[] = {1, 1};
    struct ilrl_loss_data data = {2, 2, obs, action, weight};
    ck_assert_int_eq(ilrl_loss_data_check(mlp, &data), ILRL_EINPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "action[1] = 3"));
    action[1] = 2;
    ck_assert_int_eq(ilrl_loss_data_check(mlp, &data), ILRL_OK);
    obs[3] = NAN;
    ck_assert_int_eq(ilrl_loss_data_check(mlp, &data), ILRL_EINPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "obs[1, 1]"));
    obs[3] = 1;
    weight[0] = INFINITY;
    ck_assert_int_eq(ilrl_loss_data_check(mlp, &data), ILRL_EINPUT);
    weight[0] = 1;
    data.n_features = 1;
    ck_assert_int_eq(ilrl_loss_data_check(mlp, &data), ILRL_EUSAGE);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "2 inputs"));
    ilrl_mlp_free(mlp);
}
END_TEST

/* ---- gradients against finite differences -------------------------------------- */

/* A random dataset of N steps in episodes of varying length, with rewards
 * that make returns, advantages and AWR weights (some clipped) all differ. */
struct fd_fixture {
    size_t N, D, K, E;
    double *obs, *reward, *weight;
    int *action, *length;
    int64_t *start;
    unsigned char *terminated;
};

static void fixture_make(struct fd_fixture *f, size_t N, size_t D, size_t K,
                         unsigned long seed)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, seed);
    f->N = N;
    f->D = D;
    f->K = K;
    f->obs = malloc(N * D * sizeof *f->obs);
    f->reward = malloc(N * sizeof *f->reward);
    f->weight = malloc(N * sizeof *f->weight);
    f->action = malloc(N * sizeof *f->action);
    f->start = malloc(N * sizeof *f->start);
    f->length = malloc(N * sizeof *f->length);
    f->terminated = malloc(N * sizeof *f->terminated);
    for (size_t i = 0; i < N * D; i++)
        f->obs[i] = -2.0 + 4.0 * gsl_rng_uniform(rng);
    for (size_t t = 0; t < N; t++) {
        f->action[t] = (int)gsl_rng_uniform_int(rng, K);
        f->reward[t] = gsl_rng_uniform(rng) < 0.2 ? 1.0 : 0.1;
    }
    f->E = 0;
    for (size_t t = 0; t < N;) {
        size_t len = 1 + gsl_rng_uniform_int(rng, 40);
        if (len > N - t)
            len = N - t;
        f->start[f->E] = (int64_t)t;
        f->length[f->E] = (int)len;
        f->terminated[f->E] = (unsigned char)(f->E % 2);
        if (f->terminated[f->E])
            f->reward[t + len - 1] = -1.0;
        f->E++;
        t += len;
    }
    gsl_rng_free(rng);
}

static void fixture_free(struct fd_fixture *f)
{
    free(f->obs);
    free(f->reward);
    free(f->weight);
    free(f->action);
    free(f->start);
    free(f->length);
    free(f->terminated);
}

/* Fourth-order central differences,
 *     fd = (L(-2h) - 8 L(-h) + 8 L(h) - L(2h)) / 12h,   h = step (1 + |theta_k|),
 * whose truncation error is h^4 |L^(5)| / 30, against rounding noise of about
 * sqrt(N) eps |L| / h in the losses (sums of N = 300 terms).  Measured with
 * this fixture (largest relative error over all parameters):
 *     tanh: h = 1e-3 -> 2.5e-9;  the 2-point formula at 1e-5 -> 7e-8 and at
 *           1e-4 -> 5e-7 (truncation), so the stencil buys a 400x margin;
 *     relu: L has kinks where a pre-activation crosses 0, and a stencil that
 *           straddles one is meaningless (h = 1e-4 meets one: error 0.05);
 *           h = 3e-5 stays clear of all 300 x 11 of them -> 3e-8.
 * An entry passes when
 *     |g - fd| <= 1e-6 * max(|g|, |fd|, 1e-3),
 * a relative error of 1e-6 that, for entries below 1e-3 (e.g. through a
 * saturated tanh), becomes an absolute 1e-9, well above the FD noise.
 * Returns the largest relative error seen. */
#define FD_TOLERANCE 1e-6
#define FD_FLOOR 1e-3

static double check_gradients(const struct ilrl_mlp *mlp, const double *theta0,
                              const struct ilrl_loss_data *data, const char *what)
{
    size_t P = mlp->n_params;
    struct ilrl_loss_work *work = ilrl_loss_work_alloc(mlp, data->n_steps);
    double *theta = malloc(P * sizeof *theta);
    double *grad_il = malloc(P * sizeof *grad_il);
    double *grad_rl = malloc(P * sizeof *grad_rl);
    double *only_rl = malloc(P * sizeof *only_rl);
    double il, rl, il_fast, rl_fast;
    const double step = mlp->activation == ILRL_ACTIVATION_TANH ? 1e-3 : 3e-5;
    memcpy(theta, theta0, P * sizeof *theta);

    ilrl_loss_eval(mlp, theta, data, work, &il, &rl, grad_il, grad_rl);
    /* The gradient path computes the same losses, bit for bit, as the fast
     * path, and one gradient alone equals the same gradient computed with
     * the other. */
    ilrl_loss_eval(mlp, theta, data, work, &il_fast, &rl_fast, NULL, NULL);
    ck_assert(il == il_fast && rl == rl_fast);
    ilrl_loss_eval(mlp, theta, data, work, NULL, NULL, NULL, only_rl);
    ck_assert_int_eq(memcmp(only_rl, grad_rl, P * sizeof *grad_rl), 0);

    double worst = 0.0;
    for (size_t k = 0; k < P; k++) {
        static const double multiple[4] = {-2.0, -1.0, 1.0, 2.0};
        double h = step * (1.0 + fabs(theta0[k])), il_at[4], rl_at[4];
        for (int j = 0; j < 4; j++) {
            theta[k] = theta0[k] + multiple[j] * h;
            ilrl_loss_eval(mlp, theta, data, work, &il_at[j], &rl_at[j], NULL, NULL);
        }
        theta[k] = theta0[k];
        double fd[2] = {(il_at[0] - 8.0 * il_at[1] + 8.0 * il_at[2] - il_at[3]) / (12.0 * h),
                        (rl_at[0] - 8.0 * rl_at[1] + 8.0 * rl_at[2] - rl_at[3]) / (12.0 * h)};
        double g[2] = {grad_il[k], grad_rl[k]};
        for (int which = 0; which < 2; which++) {
            double scale = fmax(fmax(fabs(g[which]), fabs(fd[which])), FD_FLOOR);
            double error = fabs(g[which] - fd[which]) / scale;
            char name[64];
            ilrl_mlp_param_name(mlp, k, name, sizeof name);
            ck_assert_msg(error <= FD_TOLERANCE,
                          "%s: d%s/d%s = %.12g by backprop, %.12g by FD (rel. error %.3g)",
                          what, which ? "L_RL" : "L_IL", name, g[which], fd[which], error);
            worst = fmax(worst, error);
        }
    }
    ilrl_loss_work_free(work);
    free(theta);
    free(grad_il);
    free(grad_rl);
    free(only_rl);
    return worst;
}

/* _i = activation * 3 + weighting: every parameter of a 3-layer network
 * 4,6,5,3 on 300 samples (two blocks, the second partial). */
START_TEST(test_gradients_match_finite_differences)
{
    enum ilrl_activation activation = (enum ilrl_activation)(_i / 3);
    static const char *weightings[] = {"return", "advantage", "awr:0.5"};
    struct ilrl_rl_weight rl_weight;
    ck_assert_int_eq(ilrl_rl_weight_parse(weightings[_i % 3], &rl_weight), ILRL_OK);

    size_t sizes[] = {4, 6, 5, 3};
    struct ilrl_mlp *mlp = ilrl_mlp_alloc(sizes, 4, activation);
    struct fd_fixture f;
    fixture_make(&f, 300, 4, 3, 11);
    struct ilrl_demo demo = hand_demo(f.N, f.E, f.reward, f.start, f.length,
                                      f.terminated);
    ilrl_rl_weights(&demo, rl_weight, 0.9, f.weight);
    struct ilrl_loss_data data = {f.N, f.D, f.obs, f.action, f.weight};
    ck_assert_int_eq(ilrl_loss_data_check(mlp, &data), ILRL_OK);

    /* Twice the default initialisation, so that units work in tanh's curved
     * part and logits are far from uniform. */
    double *theta = malloc(mlp->n_params * sizeof *theta);
    ck_assert_int_eq(ilrl_mlp_init(mlp, 5, theta), ILRL_OK);
    for (size_t k = 0; k < mlp->n_params; k++)
        theta[k] *= 2.0;
    char what[64];
    snprintf(what, sizeof what, "%s, %s", ilrl_activation_name(activation),
             weightings[_i % 3]);
    double worst = check_gradients(mlp, theta, &data, what);
    ck_assert_double_le(worst, FD_TOLERANCE);
    free(theta);
    fixture_free(&f);
    ilrl_mlp_free(mlp);
}
END_TEST

/* ---- determinism ----------------------------------------------------------- */

START_TEST(test_results_depend_only_on_inputs)
{
    size_t sizes[] = {12, 64, 64, 2};
    struct ilrl_mlp *mlp = ilrl_mlp_alloc(sizes, 4, ILRL_ACTIVATION_TANH);
    struct fd_fixture f;
    fixture_make(&f, 1000, 12, 2, 3);
    struct ilrl_demo demo = hand_demo(f.N, f.E, f.reward, f.start, f.length,
                                      f.terminated);
    ilrl_rl_weights(&demo, (struct ilrl_rl_weight){ILRL_RL_WEIGHT_RETURN, 0}, 0.99,
                    f.weight);
    struct ilrl_loss_data data = {f.N, f.D, f.obs, f.action, f.weight};
    double *theta = malloc(mlp->n_params * sizeof *theta);
    ilrl_mlp_init(mlp, 1, theta);

    /* A workspace sized for more samples than used, and a fresh one, give the
     * same bits: the block size is a constant, not the caller's choice. */
    struct ilrl_loss_work *work = ilrl_loss_work_alloc(mlp, f.N);
    struct ilrl_loss_work *big = ilrl_loss_work_alloc(mlp, 10 * f.N);
    double il[3], rl[3];
    ilrl_loss_eval(mlp, theta, &data, work, &il[0], &rl[0], NULL, NULL);
    ilrl_loss_eval(mlp, theta, &data, big, &il[1], &rl[1], NULL, NULL);
    ilrl_loss_eval(mlp, theta, &data, work, &il[2], &rl[2], NULL, NULL);
    ck_assert_int_eq(memcmp(&il[0], &il[1], sizeof il[0]), 0);
    ck_assert_int_eq(memcmp(&il[0], &il[2], sizeof il[0]), 0);
    ck_assert_int_eq(memcmp(&rl[0], &rl[1], sizeof rl[0]), 0);
    ck_assert_int_eq(memcmp(&rl[0], &rl[2], sizeof rl[0]), 0);

    /* And they agree with a sample-by-sample evaluation to rounding. */
    struct ilrl_mlp_work *one = ilrl_mlp_work_alloc(mlp, 1);
    double il_sum = 0.0, rl_sum = 0.0, logits[2], log_prob[2];
    for (size_t t = 0; t < f.N; t++) {
        ilrl_mlp_forward_one(mlp, theta, f.obs + t * 12, logits, one);
        ilrl_log_softmax(logits, 2, log_prob);
        il_sum -= log_prob[f.action[t]];
        rl_sum -= f.weight[t] * log_prob[f.action[t]];
    }
    ck_assert_double_eq_tol(il[0], il_sum / (double)f.N, 1e-12);
    ck_assert_double_eq_tol(rl[0], rl_sum / (double)f.N, 1e-12);
    ilrl_mlp_work_free(one);
    ilrl_loss_work_free(work);
    ilrl_loss_work_free(big);
    free(theta);
    fixture_free(&f);
    ilrl_mlp_free(mlp);
}
END_TEST

Suite *loss_suite(void)
{
    Suite *suite = suite_create("loss");
    TCase *weights = tcase_create("weights");
    tcase_add_test(weights, test_reward_to_go_by_hand);
    tcase_add_test(weights, test_rl_weights_return_and_advantage);
    tcase_add_test(weights, test_rl_weights_awr_with_clip);
    tcase_add_test(weights, test_rl_weight_parse_and_format);
    suite_add_tcase(suite, weights);

    TCase *closed = tcase_create("closed_form");
    tcase_add_test(closed, test_zero_network_gives_log_k);
    tcase_add_test(closed, test_one_layer_network_by_hand);
    tcase_add_test(closed, test_data_check_names_the_problem);
    suite_add_tcase(suite, closed);

    TCase *gradients = tcase_create("gradients");
    tcase_add_loop_test(gradients, test_gradients_match_finite_differences, 0, 6);
    tcase_set_timeout(gradients, 60);
    suite_add_tcase(suite, gradients);

    TCase *determinism = tcase_create("determinism");
    tcase_add_test(determinism, test_results_depend_only_on_inputs);
    suite_add_tcase(suite, determinism);
    return suite;
}
